"""Live logging figures: the official MLflow client logging into Cairn's /mlflow endpoint.

Cairn runs as in production (gunicorn, 2 workers) on the database and Redis given; the client
(mlflow-skinny, unchanged) logs RUNS runs x METRICS metrics x STEPS steps, 1,000 points per
log_batch, then reads back one 1,000,000-point history with get_metric_history. Printed: points
per second end to end, p50/p95 of one log_batch call as the client sees it, the client's own
encoding of 1,000 metrics timed alone, and the read-back time with the client and as raw HTTP.
No worker runs, so nothing is folded: the read merges 1,000 pending chunks, its worst case.

Goals (issue 13): at least 10x an MLflow server's rate (about 4,000 points/s here, so 40,000),
p95 of one log_batch at most 25 ms; the read-back has no issue's goal, and is held to the
bench's own 2 s (bench/mlflow_bench.py compares it with MLflow's). The side-by-side run against
a real `mlflow server` is not part of this quick measure.

Usage: python bench/mlflow_ingest.py [--postgres URL|none] [--redis URL|none]
       [--runs 100] [--metrics 10] [--steps 1000] [--history 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _child import (
    default_postgres,
    figure,
    free_port,
    own_database,
)  # bench/ is on the path of a bench script

ROOT = Path(__file__).resolve().parent.parent
PER_CALL = 1000


def _env(database_url: str, redis_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "CAIRN_VAR_DIR": tempfile.mkdtemp(prefix="cairn-mlflow-bench-"),
        "PYTHONPATH": str(ROOT),
        "CAIRN_MLFLOW_REQUESTS_PER_MINUTE": "1000000",
    }
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _token(env: dict) -> str:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
    )
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from portfolio.api.tokens import token_create\n"
        "user, _ = get_user_model().objects.get_or_create(username='mlflow-bench')\n"
        "print(token_create(user=user, name=f'bench {__import__(\"time\").time()}')[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def measure(base: str, token: str, runs: int, metrics: int, steps: int, history: int) -> dict:
    os.environ["MLFLOW_TRACKING_URI"] = f"{base}/mlflow"
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    import requests
    from mlflow import MlflowClient
    from mlflow.entities import Metric
    from mlflow.protos.service_pb2 import LogBatch
    from mlflow.utils.proto_json_utils import message_to_json

    client = MlflowClient()
    store = client._tracking_client.store
    experiment = client.create_experiment(f"bench {time.time()}")
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(runs):
        run_id = client.create_run(experiment).info.run_id
        now = int(time.time() * 1000)
        points = [
            Metric(f"metric_{k}", float(s * k) / steps, now + s, s)
            for s in range(steps)
            for k in range(metrics)
        ]
        for i in range(0, len(points), PER_CALL):
            t = time.perf_counter()
            store.log_batch(run_id, metrics=points[i : i + PER_CALL], params=[], tags=[])
            latencies.append(time.perf_counter() - t)
        client.set_terminated(run_id)
    elapsed = time.perf_counter() - started
    total = runs * metrics * steps
    # The client's own work on one call: building and encoding 1,000 metrics.
    sample = points[:PER_CALL]
    t = time.perf_counter()
    for _ in range(20):
        message_to_json(LogBatch(metrics=[m.to_proto() for m in sample], run_id=run_id))
    encode = (time.perf_counter() - t) / 20

    run_id = client.create_run(experiment).info.run_id
    now = int(time.time() * 1000)
    for i in range(0, history, PER_CALL):
        batch = [Metric("loss", 1.0 / (s + 1), now + s, s) for s in range(i, i + PER_CALL)]
        store.log_batch(run_id, metrics=batch, params=[], tags=[])
    t = time.perf_counter()
    read = len(client.get_metric_history(run_id, "loss"))
    read_seconds = time.perf_counter() - t
    # The same read as raw HTTP: the server's share, without the client's parsing of the answer.
    t = time.perf_counter()
    answer = requests.get(
        f"{base}/mlflow/api/2.0/mlflow/metrics/get-history",
        params={"run_id": run_id, "metric_key": "loss"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
    raw_seconds = time.perf_counter() - t
    assert answer.status_code == 200, answer.text[:300]
    return {
        "points": total,
        "seconds": elapsed,
        "rate": total / elapsed,
        "p50": _percentile(latencies, 0.5) * 1000,
        "p95": _percentile(latencies, 0.95) * 1000,
        "encode": encode * 1000,
        "history": read,
        "history_seconds": read_seconds,
        "history_raw_seconds": raw_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=default_postgres(__file__))
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--history", type=int, default=1_000_000)
    args = parser.parse_args()
    database = "" if args.postgres == "none" else args.postgres
    redis = "" if args.redis == "none" else args.redis
    # The bench's own database, made empty for the run and dropped afterwards.
    with own_database(database) if database else contextlib.nullcontext():
        _serve_and_measure(args, database, redis)


def _serve_and_measure(args, database: str, redis: str) -> None:
    env = _env(database, redis)
    token = _token(env)
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
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.2)
        result = measure(base, token, args.runs, args.metrics, args.steps, args.history)
    finally:
        server.terminate()
        server.wait(timeout=30)
    where = ("PostgreSQL" if database else "SQLite") + (" + Redis" if redis else "")
    print(
        f"Cairn /mlflow on {where}, gunicorn 2 workers, official client, {PER_CALL} per log_batch"
    )
    print(
        figure(
            f"{result['points']:,} points in {result['seconds']:.1f} s",
            f"{result['rate']:,.0f} points/s",
            ">= 40,000 /s",
            result["rate"] >= 40_000,
        )
    )
    print(
        figure(
            f"one log_batch, p50 {result['p50']:.1f} ms (encoding {result['encode']:.1f} ms)",
            f"p95 {result['p95']:.1f} ms",
            "<= 25 ms",
            result["p95"] <= 25,
        )
    )
    print(
        figure(
            f"get_metric_history of {result['history']:,} points, client",
            f"{result['history_seconds']:.1f} s (raw {result['history_raw_seconds']:.1f} s)",
            "<= 2 s (own)",
            result["history_seconds"] <= 2,
        )
    )


if __name__ == "__main__":
    main()
