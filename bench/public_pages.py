"""Public page figures: the profile page of an engineer with 30 projects and 300 milestones,
uncached and cached (SQL queries, median server time), and under load with gunicorn.

In process (the test client, once per database): the page with its cache made stale before
every request (uncached), and then as the cache serves it. Under load, as deployed: gunicorn
with 2 workers on PostgreSQL with Redis as the cache (`--load-on sqlite` for the embedded
default), on a free port, and wrk on 127.0.0.1 with 32 connections for 30 s, first against a
trivial view (/healthz) and then against the profile page, in the same run; errors and requests
per second. Every database is the bench's own (`cairn_bench_public_pages`, Redis db 15).

Usage: python bench/public_pages.py [--runs 50] [--postgres URL|none] [--redis URL]
       [--load-on postgres|sqlite] [--load-seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

from _child import (  # bench/ is on the path of a bench script
    ROOT,
    add_options,
    backends,
    child_env,
    figure,
    free_port,
    own_database,
    run_child,
    test_database,
)

PROJECTS = 30
MILESTONES = 300
SLUG = "bench-engineer"
TARGET_QUERIES = 10
TARGET_CACHED_MS = 15
TARGET_RATIO = 1 / 3


def seed() -> str:
    """A public engineer with PROJECTS public projects (every third with results and a target)
    and MILESTONES completed milestones over eight quarters; returns the profile slug."""
    from django.utils import timezone

    from milestones.models import Milestone, QuarterlyGoal
    from tests.factories import UserFactory, create_project, import_results, long_csv

    user = UserFactory(username="bench")
    profile = user.profile
    profile.slug, profile.is_public, profile.headline = SLUG, True, "ML engineer"
    profile.save()
    for n in range(PROJECTS):
        metric = {"success_metric": "val/auc", "success_target": 0.8} if n % 3 == 0 else {}
        project = create_project(
            owner=user,
            title=f"Project {n:02d}",
            visibility="public",
            tags=["pytorch", f"topic-{n % 7}"],
            **metric,
        )
        if n % 3 == 0:
            rows = {(f"run{r}", "val/auc"): [0.6 + r / 100, 0.7 + r / 50] for r in range(5)}
            import_results(project, (f"p{n}.csv", long_csv(rows)))
    now = timezone.now()
    for q in range(8):
        goal = QuarterlyGoal.objects.create(
            owner=user, year=2025 + q // 4, quarter=q % 4 + 1, title=f"Goal {q}",
            visibility="public",
        )  # fmt: skip
        Milestone.objects.bulk_create(
            Milestone(goal=goal, title=f"Milestone {q}-{m}", status="done", done_at=now)
            for m in range(MILESTONES // 8 + (1 if q < MILESTONES % 8 else 0))
        )
    return SLUG


def measure(runs: int) -> dict:
    import django
    from django.db import connection

    django.setup()
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from portfolio.public.cache import invalidate

    with test_database():
        slug = seed()
        from portfolio.models import Profile

        owner_id = Profile.objects.get(slug=slug).user_id
        url = reverse("public:profile", args=[slug])
        client = Client(HTTP_HOST="127.0.0.1")
        assert client.get(url).status_code == 200

        def timed(stale: bool) -> tuple[list[float], int]:
            times = []
            for _ in range(runs):
                if stale:
                    invalidate(owner_id)
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            if stale:
                invalidate(owner_id)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return sorted(times), len(queries)

        uncached, uncached_queries = timed(stale=True)
        client.get(url)  # fill the cache
        cached, cached_queries = timed(stale=False)
        if os.environ.get("BENCH_PROFILE"):  # a cProfile of 500 cached requests, to that file
            import cProfile

            with cProfile.Profile() as profile:
                for _ in range(500):
                    client.get(url)
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        return {
            "vendor": connection.vendor,
            "uncached_queries": uncached_queries,
            "uncached_ms": round(statistics.median(uncached), 1),
            "cached_queries": cached_queries,
            "cached_ms": round(statistics.median(cached), 1),
            "cached_p95_ms": round(cached[int(0.95 * (len(cached) - 1))], 1),
        }


def _wrk(url: str, seconds: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(g) for g in sockets.groups()) if sockets else 0
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    return {"rps": rps, "errors": errors, "p50": p50.group(1) if p50 else "?"}


def load(seconds: int, env_extra: dict[str, str], label: str) -> None:
    if not shutil.which("wrk"):
        print("load: wrk is not installed (apt-get install wrk); skipped")
        return
    env = child_env(env_extra)
    var = env["CAIRN_VAR_DIR"]
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    if env_extra.get("REDIS_URL"):
        subprocess.run(
            [*manage, "shell", "-c", "from django.core.cache import cache; cache.clear()"],
            env=env, cwd=ROOT, check=True,
        )  # fmt: skip
    subprocess.run(
        [*manage, "shell", "-c", "import public_pages; public_pages.seed()"],
        env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portfolio.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - our own server
                break
            except OSError:
                time.sleep(0.2)
        urllib.request.urlopen(f"{base}/u/{SLUG}/", timeout=10)  # noqa: S310 - fills the cache
        trivial = _wrk(f"{base}/healthz", seconds)
        page = _wrk(f"{base}/u/{SLUG}/", seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)
    ratio = page["rps"] / trivial["rps"]
    print(f"Under load: gunicorn, 2 workers, {label}; wrk 32 connections, {seconds} s each")
    for name, r in (("/healthz", trivial), ("profile page", page)):
        print(
            figure(
                f"{name}: {r['rps']:.0f} req/s, p50 {r['p50']}",
                f"{r['errors']} errors",
                "0 errors",
                r["errors"] == 0,
            )
        )
    print(
        figure(
            "profile req/s / trivial view req/s",
            f"{ratio:.2f}",
            f">= {TARGET_RATIO:.2f}",
            ratio >= TARGET_RATIO,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--load-seconds", type=int, default=30, help="0 to skip the load run")
    parser.add_argument(
        "--load-on",
        choices=("postgres", "sqlite"),
        default=os.environ.get("BENCH_LOAD_ON", "postgres"),
        help="the load run's setup: PostgreSQL + Redis as deployed (default), or SQLite",
    )
    add_options(parser, __file__, redis=True)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.runs)))
        return
    print(f"Profile page, {PROJECTS} projects and {MILESTONES} milestones, {args.runs} requests")
    for name, env in backends(args.postgres, args.redis):
        r, error = run_child(__file__, ["--runs", str(args.runs)], env)
        if error:
            print(f"{name}: failed:\n{error}")
            continue
        print(
            figure(
                f"{name}: uncached",
                f"{r['uncached_ms']} ms, {r['uncached_queries']} q",
                f"<= {TARGET_QUERIES} q",
                r["uncached_queries"] <= TARGET_QUERIES,
            )
        )
        print(
            figure(
                f"{name}: cached (p95 {r['cached_p95_ms']} ms)",
                f"{r['cached_ms']} ms, {r['cached_queries']} q",
                f"<= {TARGET_CACHED_MS} ms",
                r["cached_ms"] <= TARGET_CACHED_MS,
            )
        )
    if not args.load_seconds:
        return
    if args.load_on == "postgres" and args.postgres != "none":
        extra = {"REDIS_URL": args.redis} if args.redis != "none" else {}
        label = "PostgreSQL" + (" + Redis" if extra else "")
        with own_database(args.postgres) as url:
            load(args.load_seconds, {"DATABASE_URL": url, **extra}, label)
    else:
        load(args.load_seconds, {}, "SQLite, file cache")


if __name__ == "__main__":
    main()
