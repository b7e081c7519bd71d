"""Plan page figures: SQL queries and median server time, on SQLite and on PostgreSQL.

An engineer with 40 goals, 400 milestones and 2,000 check-ins. Two layouts:
  year:    the goals spread over the four quarters of the year (10 a quarter; the usual case)
  crammed: all 40 goals and 400 milestones in the quarter on screen (the worst case)
The page is rendered through the whole Django stack (middleware, session, templates) by the
test client, in process, so the time is server time without the network.

Usage: python bench/plan_page.py [--runs 60] [--postgres URL]   (default URL: the local `test` DB)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(layout: str, runs: int) -> dict:
    import datetime

    import django
    from django.db import connection

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from milestones.models import CheckIn, Milestone, QuarterlyGoal
    from tests.factories import UserFactory

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        user = UserFactory(username="bench")
        today = timezone.localdate()
        year = today.year
        current_q = (today.month - 1) // 3 + 1
        goals = []
        for g in range(40):
            quarter = current_q if layout == "crammed" else g % 4 + 1
            goals.append(
                QuarterlyGoal(owner=user, year=year, quarter=quarter, title=f"Goal {g}", position=g)
            )
        goals = QuarterlyGoal.objects.bulk_create(goals)
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
        queries: list[str] = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200
        shown = response.content.count(b'data-testid="milestone"')
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                "for _ in range(10): client.get(url)",
                globals(),
                locals(),
                sort="cumtime",
                filename=os.environ["BENCH_PROFILE"],
            )
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        return {
            "vendor": connection.vendor,
            "layout": layout,
            "milestones_on_page": shown,
            "queries": len(queries),
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(sorted(times)[int(0.95 * len(times)) - 1], 1),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument(
        "--postgres", default="postgres://postgres:postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL; 'none' to skip",
    )  # fmt: skip
    parser.add_argument("--child", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.runs)))
        return

    backends = [("SQLite", {"DATABASE_URL": ""})]
    if args.postgres != "none":
        backends.append(("PostgreSQL", {"DATABASE_URL": args.postgres}))
    print(f"Plan page, 40 goals / 400 milestones / 2,000 check-ins, {args.runs} requests each")
    print(f"{'database':<11} {'layout':<8} {'on page':>8} {'queries':>8} {'median':>9} {'p95':>9}")
    for name, extra in backends:
        for layout in ("year", "crammed"):
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
                "CAIRN_VAR_DIR": tempfile.mkdtemp(prefix="cairn-bench-"),
                "PYTHONPATH": str(ROOT),
                **extra,
            }
            if not extra["DATABASE_URL"]:
                env.pop("DATABASE_URL")
            out = subprocess.run(
                [sys.executable, __file__, "--runs", str(args.runs), "--child", layout],
                env=env, cwd=ROOT, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if out.returncode != 0:
                print(f"{name:<11} {layout:<8} failed:\n{out.stderr[-2000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{name:<11} {layout:<8} {r['milestones_on_page']:>8} {r['queries']:>8} "
                f"{r['median_ms']:>7} ms {r['p95_ms']:>6} ms"
            )


if __name__ == "__main__":
    main()
