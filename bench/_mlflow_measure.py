"""What bench/mlflow_bench.py measures against one tracking server (Cairn or `mlflow server`):
the same calls, the same points, the same client, so the two columns compare.

- log_points: the official client, one log_batch at a time (the issue's figure);
- client_alone: the same client calls with the network cut off (the client's own work: building
  protos and json.dumps(indent=2) of 1,000 metrics);
- client_floor: the same calls over HTTP to a server that answers at once (_answer_at_once.py),
  the client's whole cost and so the ceiling of any one-client rate, whatever the server;
- raw_http: the very bodies the client sends, encoded beforehand and POSTed over one
  keep-alive connection, so only the server's time (and HTTP) is counted;
- parallel: several client processes at once, each logging its own runs (a sweep).
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from unittest import mock

METRICS = 10
STEPS = 1_000
PER_BATCH = 1_000
STEPS_PER_BATCH = PER_BATCH // METRICS


def client(uri: str, token: str | None):
    from mlflow import MlflowClient

    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    else:
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "300"
    return MlflowClient(tracking_uri=uri)


def batch_metrics(first: int, steps: int, base_ms: int) -> list:
    """One log_batch's metrics: METRICS keys x STEPS_PER_BATCH steps from first."""
    from mlflow.entities import Metric

    return [
        Metric(f"m{k}", 1.0 / (s + 1) + k, base_ms + s, s)
        for s in range(first, min(first + STEPS_PER_BATCH, steps))
        for k in range(METRICS)
    ]


def _latency(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return {"p50": statistics.median(ordered) * 1000, "p95": p95 * 1000}


def _log_runs(mlflow_client, experiment: str, runs: int, steps: int, prefix: str) -> list[float]:
    latencies = []
    base_ms = int(time.time() * 1000)
    for r in range(runs):
        run_id = mlflow_client.create_run(experiment, run_name=f"{prefix}-{r}").info.run_id
        for first in range(0, steps, STEPS_PER_BATCH):
            batch = batch_metrics(first, steps, base_ms)
            t0 = time.perf_counter()
            mlflow_client.log_batch(run_id, metrics=batch, synchronous=True)
            latencies.append(time.perf_counter() - t0)
        mlflow_client.set_terminated(run_id)
    return latencies


def log_points(mlflow_client, points: int, name: str) -> dict:
    """points points with the official client, one log_batch (1,000 points) at a time."""
    experiment = mlflow_client.create_experiment(f"{name}-{time.time_ns()}")
    runs = max(1, points // (METRICS * STEPS))
    steps = min(STEPS, points // METRICS)
    started = time.perf_counter()
    latencies = _log_runs(mlflow_client, experiment, runs, steps, "run")
    total = time.perf_counter() - started
    logged = runs * steps * METRICS
    figures = {"points": logged, "seconds": total, "rate": logged / total}
    return figures | {"experiment": experiment} | _latency(latencies)


def client_alone(calls: int = 100) -> dict:
    """The client's own time for one log_batch of 1,000 metrics, with no server at all."""
    from mlflow.store.tracking.rest_store import RestStore

    mlflow_client = client("http://127.0.0.1:9/unused", None)
    base_ms = int(time.time() * 1000)
    latencies = []
    with mock.patch.object(RestStore, "_call_endpoint", return_value=None):
        for n in range(calls):
            batch = batch_metrics((n % 10) * STEPS_PER_BATCH, STEPS, base_ms)
            t0 = time.perf_counter()
            mlflow_client.log_batch("0" * 32, metrics=batch, synchronous=True)
            latencies.append(time.perf_counter() - t0)
    figures = _latency(latencies)
    return figures | {"rate": PER_BATCH / (figures["p50"] / 1000)}


def client_floor(base: str, calls: int = 200) -> dict:
    """The client's time per log_batch against a server that answers at once."""
    mlflow_client = client(base, "unused")
    base_ms = int(time.time() * 1000)
    latencies = []
    for n in range(calls):
        batch = batch_metrics((n % 10) * STEPS_PER_BATCH, STEPS, base_ms)
        t0 = time.perf_counter()
        mlflow_client.log_batch("0" * 32, metrics=batch, synchronous=True)
        latencies.append(time.perf_counter() - t0)
    figures = _latency(latencies[calls // 10 :])  # the first calls open the connection
    return figures | {"rate": PER_BATCH / (figures["p50"] / 1000)}


def raw_http(base: str, token: str | None, experiment: str, points: int) -> dict:
    """The client's own bodies, encoded beforehand, POSTed one at a time: the server's time."""
    import requests
    from mlflow.protos.service_pb2 import LogBatch
    from mlflow.utils.proto_json_utils import message_to_json

    mlflow_client = client(base, token)
    runs = max(1, points // (METRICS * STEPS))
    placeholder = "f" * 32
    base_ms = int(time.time() * 1000)
    bodies = [
        message_to_json(
            LogBatch(
                run_id=placeholder,
                metrics=[m.to_proto() for m in batch_metrics(first, STEPS, base_ms)],
            )
        )
        for first in range(0, STEPS, STEPS_PER_BATCH)
    ]
    session = requests.Session()
    session.headers["Content-Type"] = "application/json"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    url = f"{base}/api/2.0/mlflow/runs/log-batch"
    latencies = []
    started = time.perf_counter()
    for r in range(runs):
        run_id = mlflow_client.create_run(experiment, run_name=f"raw-{r}").info.run_id
        for body in bodies:
            data = body.replace(placeholder, run_id).encode()
            t0 = time.perf_counter()
            answer = session.post(url, data=data, timeout=300)
            latencies.append(time.perf_counter() - t0)
            answer.raise_for_status()
        mlflow_client.set_terminated(run_id)
    total = time.perf_counter() - started
    logged = runs * STEPS * METRICS
    return {"points": logged, "seconds": total, "rate": logged / total} | _latency(latencies)


def _child(uri: str, token: str | None, experiment: str, runs: int, prefix: str) -> tuple:
    mlflow_client = client(uri, token)
    started = time.time()
    latencies = _log_runs(mlflow_client, experiment, runs, STEPS, prefix)
    return started, time.time(), runs * STEPS * METRICS, latencies


def parallel(uri: str, token: str | None, points: int, clients: int, name: str) -> dict:
    """clients processes, each with the official client logging its share of the runs."""
    mlflow_client = client(uri, token)
    experiment = mlflow_client.create_experiment(f"{name}-parallel-{time.time_ns()}")
    runs = max(clients, points // (METRICS * STEPS))
    shares = [runs // clients + (1 if i < runs % clients else 0) for i in range(clients)]
    with ProcessPoolExecutor(clients, mp_context=get_context("spawn")) as pool:
        jobs = [
            pool.submit(_child, uri, token, experiment, share, f"p{i}")
            for i, share in enumerate(shares)
        ]
        results = [job.result() for job in jobs]
    seconds = max(r[1] for r in results) - min(r[0] for r in results)
    logged = sum(r[2] for r in results)
    latencies = [t for r in results for t in r[3]]
    figures = {"points": logged, "seconds": seconds, "rate": logged / seconds}
    return figures | {"clients": clients} | _latency(latencies)
