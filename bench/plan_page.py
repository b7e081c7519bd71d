"""Plan page figures: SQL queries and median server time, on SQLite and on PostgreSQL, and the
server time of signing in to it.

An engineer with 40 goals, 400 milestones and 2,000 check-ins. Two layouts:
  year:    the goals spread over the four quarters of the year (10 a quarter; the usual case)
  crammed: all 40 goals and 400 milestones in the quarter on screen (the worst case)
The page is rendered through the whole Django stack (middleware, session, templates) by the
test client, in process, so the time is server time without the network. Sign-in is the login
POST (the password hasher included) and the plan page it redirects to, in the year layout.
Targets: the page <= 50 ms median in both layouts, <= 12 queries; sign-in to the plan page
<= 300 ms.

Usage: python bench/plan_page.py [--runs 60] [--postgres URL|none]
(BENCH_PROFILE=file / BENCH_PROFILE_SIGN_IN=file write a cProfile of the page / of signing in.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from _child import (  # bench/ is on the path of a bench script
    add_options,
    backends,
    counted_queries,
    figure,
    p95,
    run_child,
    test_database,
    times_ms,
)

TARGET_MS = 50
TARGET_QUERIES = 12
TARGET_SIGN_IN_MS = 300
LAYOUTS = ("year", "crammed")
PASSWORD = "a long bench password"


def _profile(variable: str, fn, times: int) -> None:
    """With `variable` set to a file name, write a cProfile of `times` calls of `fn` there."""
    if os.environ.get(variable):
        import cProfile

        with cProfile.Profile() as profile:
            for _ in range(times):
                fn()
        profile.dump_stats(os.environ[variable])


def measure(layout: str, runs: int) -> dict:
    import datetime

    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from milestones.models import CheckIn, Milestone, QuarterlyGoal
    from tests.factories import UserFactory

    with test_database():
        user = UserFactory(username="bench")
        user.set_password(PASSWORD)
        user.save()
        today = timezone.localdate()
        year = today.year
        current_q = (today.month - 1) // 3 + 1
        goals = QuarterlyGoal.objects.bulk_create(
            QuarterlyGoal(
                owner=user,
                year=year,
                quarter=current_q if layout == "crammed" else g % 4 + 1,
                title=f"Goal {g}",
                position=g,
            )
            for g in range(40)
        )
        statuses = ["done", "in_progress", "planned", "done", "dropped"]
        milestones = Milestone.objects.bulk_create(
            Milestone(
                goal=goals[m % 40],
                title=f"Milestone {m} with a realistic title of some length",
                status=statuses[m % 5],
                done_at=timezone.now() if statuses[m % 5] == "done" else None,
                due_date=today + datetime.timedelta(days=m % 60 - 30),
                position=m,
            )
            for m in range(400)
        )
        CheckIn.objects.bulk_create(
            CheckIn(
                milestone=milestones[c % 400],
                author=user,
                progress=(c * 7) % 101,
                note="Progress note",
                created_at=timezone.now() - datetime.timedelta(hours=c),
            )
            for c in range(2000)
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = f"/plan/{year}/q{current_q}/"
        assert client.get(url).status_code == 200  # warm up
        with counted_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        shown = response.content.count(b'data-testid="milestone"')
        _profile("BENCH_PROFILE", lambda: client.get(url), 10)
        times = times_ms(lambda: client.get(url), runs)
        result = {
            "layout": layout,
            "milestones_on_page": shown,
            "queries": len(queries),
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": p95(times),
        }
        if layout == "year":

            def sign_in() -> None:
                fresh = Client(HTTP_HOST="127.0.0.1")
                answer = fresh.post(
                    reverse("login"), {"username": "bench", "password": PASSWORD}, follow=True
                )
                assert answer.redirect_chain and answer.status_code == 200, answer.status_code

            sign_in()
            _profile("BENCH_PROFILE_SIGN_IN", sign_in, 5)
            signs = times_ms(sign_in, max(5, runs // 6))
            result["sign_in_ms"] = round(statistics.median(signs), 1)
            user.refresh_from_db()
            hasher = times_ms(lambda: user.check_password(PASSWORD), max(5, runs // 6))
            result["hasher_ms"] = round(statistics.median(hasher), 1)
            result["hasher"] = user.password.split("$", 1)[0]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--layout", choices=LAYOUTS, help=argparse.SUPPRESS)
    add_options(parser, __file__)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.layout, args.runs)))
        return

    print(f"Plan page, 40 goals / 400 milestones / 2,000 check-ins, {args.runs} requests each")
    for name, env in backends(args.postgres):
        print(f"== {name}")
        for layout in LAYOUTS:
            r, error = run_child(__file__, ["--runs", str(args.runs), "--layout", layout], env)
            if error:
                print(f"  {layout}: failed:\n{error}")
                continue
            ok = r["median_ms"] <= TARGET_MS and r["queries"] <= TARGET_QUERIES
            print(
                figure(
                    f"{layout}: {r['milestones_on_page']} milestones on the page",
                    f"{r['median_ms']} ms (p95 {r['p95_ms']}), {r['queries']} q",
                    f"<= {TARGET_MS} ms, <= {TARGET_QUERIES} q",
                    ok,
                )
            )
            if "sign_in_ms" in r:
                print(
                    figure(
                        "sign-in: login POST + the plan page",
                        f"{r['sign_in_ms']} ms",
                        f"<= {TARGET_SIGN_IN_MS} ms",
                        r["sign_in_ms"] <= TARGET_SIGN_IN_MS,
                    )
                )
                rest = r["sign_in_ms"] - r["hasher_ms"]
                print(
                    figure(
                        f"  of which the password hasher ({r['hasher']})",
                        f"{r['hasher_ms']} ms",
                        "(the secure part)",
                        True,
                    )
                )
                print(
                    figure(
                        "  and everything else",
                        f"{rest:.1f} ms",
                        f"<= {TARGET_SIGN_IN_MS // 3} ms",
                        rest <= TARGET_SIGN_IN_MS // 3,
                    )
                )


if __name__ == "__main__":
    main()
