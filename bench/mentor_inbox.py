"""Mentor inbox figures: SQL queries and server time of the mentoring dashboard.

A mentor with 20 mentees, each with goals shared with mentors (and a private one), milestones,
check-ins and projects with revisions, and 5,000 unacknowledged inbox items pointing at those
check-ins, revisions and completed milestones; beside them 5,000 items the mentor already
acknowledged, and 5,000 items of another mentor. The dashboard is requested through the whole
Django stack by the test client, in process, so the time is server time without the network.
On PostgreSQL the tables are analyzed after the bulk load, as autovacuum would.

Usage: python bench/mentor_inbox.py [--runs 30] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import json
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

MENTEES = 20
UNREAD = 5000
TARGET_QUERIES = 10
TARGET_MEDIAN_MS = 80


def _seed(mentor, other_mentor) -> None:
    import datetime

    from django.utils import timezone

    from milestones.models import CheckIn, Milestone, QuarterlyGoal
    from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
    from portfolio.models import Mentorship, Notification
    from projects.models import Project, ProjectRevision
    from tests.factories import UserFactory

    now = timezone.now()
    per_mentee = UNREAD // MENTEES
    notifications = []
    for e in range(MENTEES):
        engineer = UserFactory(username=f"mentee{e:02d}")
        for who in (mentor, other_mentor):
            _, token = mentorship_invite(engineer=engineer)
            mentorship_accept(token=token, mentor=who)
        Mentorship.objects.filter(engineer=engineer).update(
            accepted_at=now - datetime.timedelta(days=120)
        )
        goals = QuarterlyGoal.objects.bulk_create(
            QuarterlyGoal(
                owner=engineer,
                year=2026,
                quarter=4,
                title=f"Goal {g}",
                position=g,
                visibility="private" if g == 3 else "mentors",
            )
            for g in range(4)
        )
        milestones = Milestone.objects.bulk_create(
            Milestone(
                goal=goals[m % 3],
                title=f"Milestone {m}",
                status="done" if m % 2 else "in_progress",
                done_at=now - datetime.timedelta(days=m) if m % 2 else None,
                due_date=datetime.date(2026, 12, 15),
                position=m,
            )
            for m in range(20)
        )
        checkins = CheckIn.objects.bulk_create(
            CheckIn(
                milestone=milestones[c % 20],
                author=engineer,
                progress=c % 101,
                note=f"Check-in {c}: labelled another batch and fixed the split.",
                created_at=now - datetime.timedelta(hours=3 * c),
            )
            for c in range(per_mentee * 2)
        )
        revisions = []
        for p in range(3):
            project = Project.objects.create(
                owner=engineer, slug=f"p{p}", title=f"Project {p}", visibility="mentors"
            )
            revisions += ProjectRevision.objects.bulk_create(
                ProjectRevision(
                    project=project,
                    number=n + 1,
                    author=engineer,
                    title=project.title,
                    status="active",
                    change_note=f"Revision {n + 1}",
                    problem="The problem.",
                )
                for n in range(20)
            )
            Project.objects.filter(pk=project.pk).update(current_revision=revisions[-1])
        done = [m for m in milestones if m.status == "done"]
        for i in range(per_mentee * 3):
            kind = ("checkin", "checkin", "checkin", "revision", "milestone")[i % 5]
            target = {
                "checkin": {"checkin": checkins[i % len(checkins)]},
                "revision": {"revision": revisions[i % len(revisions)]},
                "milestone": {"milestone": done[i % len(done)]},
            }[kind]
            # The first third is the mentor's inbox, then what they acknowledged, then another
            # mentor's inbox.
            recipient = other_mentor if i >= 2 * per_mentee else mentor
            read_at = now if per_mentee <= i < 2 * per_mentee else None
            notifications.append(
                Notification(
                    recipient=recipient,
                    actor=engineer,
                    engineer=engineer,
                    kind=kind,
                    read_at=read_at,
                    **target,
                )
            )
    created = Notification.objects.bulk_create(notifications, batch_size=2000)
    for n, notification in enumerate(created):
        notification.created_at = now - datetime.timedelta(minutes=7 * n)
    Notification.objects.bulk_update(created, ["created_at"], batch_size=2000)


def measure(runs: int) -> dict:
    import django
    from django.db import connection

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from portfolio.mentoring.selectors import inbox_for
    from tests.factories import UserFactory

    with test_database():
        mentor = UserFactory(username="mentor")
        _seed(mentor, UserFactory(username="other-mentor"))
        if connection.vendor == "postgresql":
            # What autovacuum does soon after a bulk load; without statistics the planner joins
            # every notification to its subjects before sorting.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        inbox = inbox_for(mentor)
        assert len(inbox["mentees"]) == MENTEES, inbox["mentees"]
        assert inbox["total"] == UNREAD, inbox["total"]
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(mentor)
        url = reverse("mentoring:dashboard")
        assert client.get(url).status_code == 200  # warm up
        with counted_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        times = times_ms(lambda: client.get(url), runs)
        return {
            "vendor": connection.vendor,
            "queries": len(queries),
            "kb": round(len(response.content) / 1024, 1),
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": p95(times),
            "slowest": [
                {"ms": round(q["ms"], 1), "sql": q["sql"][:200]}
                for q in sorted(queries, key=lambda q: -q["ms"])[:3]
            ],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--verbose", action="store_true", help="print the slowest queries")
    add_options(parser, __file__)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.runs)))
        return

    print(
        f"Mentor inbox, {MENTEES} mentees / {UNREAD:,} unacknowledged items, {args.runs} requests"
    )
    for name, env in backends(args.postgres):
        r, error = run_child(__file__, ["--runs", str(args.runs)], env)
        if error:
            print(f"{name}: failed:\n{error}")
            continue
        print(
            figure(
                f"{name}: dashboard ({r['kb']} kB)",
                f"{r['median_ms']} ms (p95 {r['p95_ms']}), {r['queries']} q",
                f"<= {TARGET_MEDIAN_MS} ms, <= {TARGET_QUERIES} q",
                r["queries"] <= TARGET_QUERIES and r["median_ms"] <= TARGET_MEDIAN_MS,
            )
        )
        if args.verbose:
            for q in r["slowest"]:
                print(f"    {q['ms']:7.1f} ms  {q['sql']}")


if __name__ == "__main__":
    main()
