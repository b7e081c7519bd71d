"""Plan charts figures: SQL queries and median server time of each chart fragment.

An engineer with 40 goals and 400 milestones in the quarter on screen, 2,000 check-ins over the
year, and 8 projects with a success metric, each with 25 imports of 10 runs (2,000 runs with 20
metrics each), 200 revisions. Every fragment is requested through the whole Django stack by the
test client, in process, with HX-Request, so the time is server time without the network.

Usage: python bench/plan_charts_bench.py [--runs 30] [--postgres URL|none]
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
    run_child,
    test_database,
    times_ms,
)

# (ms, queries): the quarter page has the plan page's target (issue 2); a chart fragment, which
# no issue gave a target, that of a chart's data (issue 5: 100 ms).
TARGETS = {
    "burn-up": (100, 6),
    "best so far": (100, 6),
    "activity": (100, 6),
    "quarter page": (50, 12),
}


def _seed(user) -> None:
    import datetime

    from django.utils import timezone

    from milestones.models import CheckIn, Milestone, QuarterlyGoal
    from milestones.quarters import Quarter
    from projects.models import ExperimentImport, Project, ProjectRevision, Run

    today = timezone.localdate()
    q = Quarter.of(today)
    now = timezone.now()
    goals = QuarterlyGoal.objects.bulk_create(
        QuarterlyGoal(owner=user, year=q.year, quarter=q.quarter, title=f"Goal {g}", position=g)
        for g in range(40)
    )
    statuses = ["done", "in_progress", "planned", "done", "dropped"]
    milestones = Milestone.objects.bulk_create(
        Milestone(
            goal=goals[m % 40],
            title=f"Milestone {m}",
            status=statuses[m % 5],
            done_at=now - datetime.timedelta(days=m % 50) if statuses[m % 5] == "done" else None,
            due_date=q.start + datetime.timedelta(days=m % 90),
            position=m,
        )
        for m in range(400)
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            milestone=milestones[c % 400],
            author=user,
            progress=c % 101,
            created_at=now - datetime.timedelta(hours=4 * c),
        )
        for c in range(2000)
    )
    metrics = [f"metric_{k}" for k in range(19)] + ["accuracy"]
    for p in range(8):
        project = Project.objects.create(owner=user, slug=f"p{p}", title=f"Project {p}")
        revisions = ProjectRevision.objects.bulk_create(
            ProjectRevision(
                project=project,
                number=n + 1,
                title=project.title,
                status="active",
                success_metric="accuracy",
                success_target=0.95,
            )
            for n in range(25)
        )
        Project.objects.filter(pk=project.pk).update(current_revision=revisions[-1])
        for i in range(25):
            imp = ExperimentImport.objects.create(
                project=project,
                original_name=f"import-{i}.csv",
                sha256=f"{p:02d}{i:062d}",
                size=1,
                status="succeeded",
                finished_at=now - datetime.timedelta(days=5 * (25 - i)),
            )
            Run.objects.bulk_create(
                Run(
                    project=project,
                    experiment_import=imp,
                    name=f"run-{i}-{r}",
                    summary={
                        m: {
                            "last": 0.5 + i / 100,
                            "min": 0.1,
                            "max": 0.5 + (i + r) / 100,
                            "count": 100,
                        }
                        for m in metrics
                    },
                )
                for r in range(10)
            )


def measure(runs: int) -> list[dict]:
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from milestones.quarters import Quarter
    from tests.factories import UserFactory

    with test_database():
        user = UserFactory(username="bench")
        _seed(user)
        q = Quarter.of(timezone.localdate())
        client = Client(HTTP_HOST="127.0.0.1", headers={"HX-Request": "true"})
        client.force_login(user)
        urls = {
            "burn-up": reverse("milestones:chart-burnup", args=[q.year, q.quarter]),
            "best so far": reverse("milestones:chart-best"),
            "activity": reverse("milestones:chart-activity"),
            "quarter page": reverse("milestones:quarter", args=[q.year, q.quarter]),
        }
        results = []
        for name, url in urls.items():
            assert client.get(url).status_code == 200  # warm up
            with counted_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200
            times = times_ms(lambda url=url: client.get(url), runs)
            results.append(
                {
                    "chart": name,
                    "queries": len(queries),
                    "kb": round(len(response.content) / 1024, 1),
                    "median_ms": round(statistics.median(times), 1),
                }
            )
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    add_options(parser, __file__)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.runs)))
        return

    print(f"Plan charts, 400 milestones / 2,000 check-ins / 2,000 runs, {args.runs} requests each")
    for name, env in backends(args.postgres):
        rows, error = run_child(__file__, ["--runs", str(args.runs)], env)
        if error:
            print(f"{name}: failed:\n{error}")
            continue
        print(f"== {name}")
        for r in rows:
            ms, most = TARGETS[r["chart"]]
            print(
                figure(
                    f"{r['chart']} ({r['kb']} kB)",
                    f"{r['median_ms']} ms, {r['queries']} q",
                    f"<= {ms} ms, <= {most} q",
                    r["median_ms"] <= ms and r["queries"] <= most,
                )
            )


if __name__ == "__main__":
    main()
