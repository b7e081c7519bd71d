"""Sync from MLflow: a first sync of a big tracking server, then an incremental one.

A real `mlflow server` (SQLite backend, free port, from var/mlflow-env: tests/mlflow_env.py) holds
--runs runs (200) x --metrics metrics (10) x --steps steps (1,000): the runs, params and tags are
made by the official client; the 2,000,000 points are written straight into the server's
mlflow.db (its `metrics` and `latest_metrics` tables, as log_batch would leave them), since
logging them through the server would take about eight minutes (~4,000 points/s) and measure
MLflow rather than the sync. Then, for each database (SQLite; PostgreSQL in this bench's own
database), in a child process:
  1. the first sync of the experiment (mlsync.sync.sync_connection_run), wall time;
  2. --new-runs runs (10) get --new-points new points each (100: 10 metrics x 10 steps) through
     the official client, and the incremental sync that follows, wall time;
  beside each, MLflow's own time to answer the same history requests (replayed one after the
  other over one kept-alive connection), so the sync's own share shows.

Usage: python bench/mlsync_bench.py [--runs 200] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _child import add_options, backends, figure, run_child  # noqa: E402

from tests.mlflow_env import MlflowServer, run_in_mlflow_env  # noqa: E402

EXPERIMENT = "mlsync-bench"
# A first sync reads every point once through MLflow's get-history; MLflow's own time to answer
# those requests one by one (about 2 minutes here for 2,000,000 points, with --workers 1) is the
# floor, and Cairn's storing overlaps it (the next chunk is read while one is written).
FIRST_TARGET_S = 180.0
FIRST_RATIO = 1.25
INCREMENTAL_TARGET_S = 3.0

MAKE_RUNS = """
import json, os
from mlflow import MlflowClient
from mlflow.entities import Param
client = MlflowClient()
experiment = client.create_experiment(os.environ["BENCH_EXPERIMENT"])
ids = []
for i in range(int(os.environ["BENCH_RUNS"])):
    run = client.create_run(experiment, run_name=f"run-{i:03d}", tags={"sweep": "bench"})
    client.log_batch(run.info.run_id, params=[Param("lr", str(0.001 * (i + 1))),
                                              Param("seed", str(i))], synchronous=True)
    client.set_terminated(run.info.run_id)
    ids.append(run.info.run_id)
print(json.dumps(ids))
"""

LOG_MORE = """
import json, os, time
from mlflow import MlflowClient
from mlflow.entities import Metric
client = MlflowClient()
spec = json.loads(os.environ["BENCH_MORE"])
now = int(time.time() * 1000)
for run_id in spec["runs"]:
    client.log_batch(run_id, metrics=[
        Metric(f"m{k}", 0.5 / (s + 1), now + s, s)
        for s in range(spec["first"], spec["first"] + spec["steps"]) for k in range(spec["metrics"])
    ], synchronous=True)
"""


def fill(server: MlflowServer, args) -> list[str]:
    """The runs through the client, their points straight into mlflow.db; the run ids."""
    env = {**server.client_env, "BENCH_EXPERIMENT": EXPERIMENT, "BENCH_RUNS": str(args.runs)}
    ids = json.loads(run_in_mlflow_env(MAKE_RUNS, env=env).stdout.strip().splitlines()[-1])
    base = int(time.time() * 1000) - 3_600_000
    db = sqlite3.connect(server.folder / "mlflow.db", timeout=60)
    with db:
        for run_id in ids:
            rows = [
                (f"m{k}", 1.0 / (s + 1) + k, base + s, run_id, s, 0)
                for k in range(args.metrics)
                for s in range(args.steps)
            ]
            db.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            last = args.steps - 1
            latest = [
                (f"m{k}", 1.0 / (last + 1) + k, base + last, last, run_id)
                for k in range(args.metrics)
            ]
            db.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, 0, ?)",
                latest,
            )
    db.close()
    return ids


def replay(url: str, requests_made: list[tuple[str, dict]]) -> float:
    """Seconds MLflow takes to answer these history requests, one after the other."""
    import requests

    session = requests.Session()
    start = time.perf_counter()
    for path, params in requests_made:
        answer = session.get(f"{url}/api/2.0/mlflow/{path}", params=params, timeout=300)
        answer.raise_for_status()
        answer.json()
    return time.perf_counter() - start


def child(args) -> dict:
    """In a process of its own (its database): both syncs, timed, and the replays."""
    import django

    django.setup()
    from _child import test_database

    with test_database():
        from django.contrib.auth import get_user_model

        from mlsync import services
        from mlsync.sources import server as server_source
        from mlsync.sync import sync_connection_run
        from projects.models import Run
        from projects.services import project_create

        recorded: list = []
        original = server_source.ServerSource.__init__

        def recording(self, *a, **kw):
            original(self, *a, **kw)
            recorded.append(self)

        server_source.ServerSource.__init__ = recording
        user = get_user_model().objects.create_user("bench", "bench@example.com")
        project = project_create(owner=user, content={"title": "Bench"})
        conn = services.connection_create(
            project=project, kind="server", server_url=args.url, experiments=[EXPERIMENT]
        )
        out = {}
        for name in ("first", "incremental"):
            if name == "incremental":
                spec = {
                    "runs": args.more_runs, "first": args.steps + args.offset,
                    "steps": args.new_points // args.metrics, "metrics": args.metrics,
                }  # fmt: skip
                env = {"MLFLOW_TRACKING_URI": args.url, "BENCH_MORE": json.dumps(spec)}
                run_in_mlflow_env(LOG_MORE, env=env)
            start = time.perf_counter()
            sync = sync_connection_run(connection_id=conn.pk, trigger="bench")
            wall = time.perf_counter() - start
            if sync.state != "succeeded":
                raise SystemExit(f"the {name} sync failed: {sync.reason}")
            history = recorded[-1].history_requests
            out[name] = {
                "wall": wall,
                "mlflow": replay(args.url, history),
                "requests": len(history),
                "runs": sync.runs_added + sync.runs_updated,
                "points": sync.points_added,
            }
        out["cairn_runs"] = Run.objects.filter(project=project).count()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--new-runs", type=int, default=10)
    parser.add_argument("--new-points", type=int, default=100)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--more-runs", nargs="*", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    add_options(parser, __file__)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args)))
        return

    folder = ROOT / "var" / "mlsync-bench" / uuid.uuid4().hex[:8]
    print(f"Starting mlflow server in {folder} …", flush=True)
    server = MlflowServer(folder).start()
    try:
        start = time.perf_counter()
        ids = fill(server, args)
        points = args.runs * args.metrics * args.steps
        print(
            f"MLflow holds {args.runs} runs x {args.metrics} metrics x {args.steps} steps "
            f"({points:,} points; filled in {time.perf_counter() - start:.0f} s)\n"
        )
        for n, (label, env) in enumerate(backends(args.postgres)):
            more = ids[n * args.new_runs : (n + 1) * args.new_runs]
            arguments = [
                "--url", server.url, "--steps", str(args.steps), "--metrics", str(args.metrics),
                "--new-points", str(args.new_points), "--offset", str(n * 1000),
                "--more-runs", *more,
            ]  # fmt: skip
            result, error = run_child(__file__, arguments, env)
            print(f"{label}")
            if error:
                print(f"  failed:\n{error}")
                continue
            first, inc = result["first"], result["incremental"]
            ratio = first["wall"] / first["mlflow"]
            print(
                figure(
                    "first sync, wall time",
                    f"{first['wall']:.1f} s",
                    f"<= {FIRST_TARGET_S:.0f} s",
                    first["wall"] <= FIRST_TARGET_S,
                )
            )
            print(
                figure(
                    "  against MLflow answering alone",
                    f"{ratio:.2f}x",
                    f"<= {FIRST_RATIO:.2f}x",
                    ratio <= FIRST_RATIO,
                )
            )
            print(
                f"  {'  MLflow answering its history requests':<44} {first['mlflow']:>20.1f} s"
                f"   ({first['requests']} requests; {first['runs']} runs, "
                f"{first['points']:,} points stored)"
            )
            print(
                figure(
                    f"incremental ({args.new_runs} runs x {args.new_points} new points)",
                    f"{inc['wall']:.2f} s",
                    f"<= {INCREMENTAL_TARGET_S:.0f} s",
                    inc["wall"] <= INCREMENTAL_TARGET_S,
                )
            )
            print(
                f"  {'  MLflow answering its history requests':<44} {inc['mlflow']:>20.2f} s"
                f"   ({inc['requests']} requests; {inc['runs']} runs, "
                f"{inc['points']:,} points stored)"
            )
            ok = inc["points"] == args.new_runs * args.new_points
            print(figure("incremental points stored", f"{inc['points']:,}", "only the new", ok))
            print()
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.base")
    main()
