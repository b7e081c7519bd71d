"""Live logging, side by side: the official MLflow client into Cairn and into a real MLflow server.

The client (mlflow-skinny, Cairn's test extras) logs --points points (default 1,000,000: 1,000
per log_batch, runs x 10 metrics x 1,000 steps, i.e. 100 runs) into
- Cairn on PostgreSQL with Redis: a database of the bench's own (--database, dropped and made
  again), Redis db --redis-db, gunicorn (2 workers x 4 threads) and a Celery worker started
  here as subprocesses on free ports;
- `mlflow server` with a SQLite backend and --serve-artifacts, from the virtual environment
  the tests use (var/mlflow-env, made once with pip by tests/mlflow_env.py: MLflow's pins differ
  from Cairn's), on a free port.
Printed for each server, with the same calls and points (bench/_mlflow_measure.py):
- the official client, one log_batch at a time: points per second and p50/p95 of one call as
  the client sees it (the issue's figures: Cairn >= 10x the MLflow server, p95 <= 25 ms);
- the client's own work per call with no network (building and encoding 1,000 metrics), and
  its whole time per call against a server that answers at once (bench/_answer_at_once.py under
  gunicorn), which bounds any single-client rate whatever the server does;
- the server's share: the client's exact bodies, encoded beforehand, POSTed one at a time
  (points per second and p50/p95 of one call);
- --clients client processes at once (a sweep logging many runs), points per second.
Then the time until a point logged while its chart is open shows in Cairn's chart data (target
<= 2 s), and get_metric_history of one --points-long history (Cairn against MLflow).

Usage: python bench/mlflow_bench.py [--points 1000000] [--clients 4] [--skip-mlflow]
       [--postgres URL] [--database NAME] [--redis-db N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import _mlflow_measure as measure_module
from _mlflow_measure import METRICS, PER_BATCH, STEPS

ROOT = Path(__file__).resolve().parent.parent

SEED = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from portfolio.api.tokens import token_create
user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-pass-123")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(token_create(user=user, name="bench")[1], session.session_key)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server at {url} stopped (exit {process.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - our own server
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"no answer from {url} in {seconds:.0f} s")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# --- Cairn --------------------------------------------------------------------------------------


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_cairn(args, var: str) -> tuple[str, str, str, list[subprocess.Popen]]:
    """Cairn on PostgreSQL and Redis with a worker: (base URL, token, session, processes)."""
    database = f"{args.postgres.rstrip('/')}/{args.database}"
    _recreate_database(database)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "CAIRN_VAR_DIR": var,
        "DATABASE_URL": database,
        "REDIS_URL": f"{args.redis.rstrip('/')}/{args.redis_db}",
        "CAIRN_MLFLOW_REQUESTS_PER_MINUTE": "1000000",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED], env=env, cwd=ROOT, check=True, capture_output=True,
        text=True,
    ).stdout.split()  # fmt: skip
    token, session = seeded[-2], seeded[-1]
    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portfolio.wsgi", "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "300"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portfolio", "worker", "--loglevel", "WARNING",
         "--concurrency", "1", "--beat", "--schedule-filename", f"{var}/beat-schedule"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/healthz", web)
    return base, token, session, [web, worker]


# --- MLflow server ------------------------------------------------------------------------------


def mlflow_venv() -> Path:
    """The `mlflow` command of var/mlflow-env, the tests' MLflow (made once, with pip)."""
    sys.path.insert(0, str(ROOT))
    from tests.mlflow_env import mlflow_python

    return mlflow_python().parent / "mlflow"


def _mlflow_env() -> dict[str, str]:
    from tests.mlflow_env import NOT_FOR_MLFLOW

    return {k: v for k, v in os.environ.items() if k not in NOT_FOR_MLFLOW}


def client_floor() -> dict:
    """The official client's per-call time against _answer_at_once.py under gunicorn."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "_answer_at_once:app", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT / "bench",
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{port}/", server, seconds=60)
        return measure_module.client_floor(f"http://127.0.0.1:{port}")
    finally:
        _stop(server)


def start_mlflow(var: str) -> tuple[str, subprocess.Popen]:
    binary = mlflow_venv()
    port = _free_port()
    server = subprocess.Popen(
        [str(binary), "server", "--backend-store-uri", f"sqlite:///{var}/mlflow.db",
         "--serve-artifacts", "--artifacts-destination", f"{var}/mlflow-artifacts",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_mlflow_env(),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    _wait(f"{base}/health", server, seconds=300)
    return base, server


# --- Measuring ---------------------------------------------------------------------------------


def long_history(client, experiment: str, points: int) -> tuple[str, float]:
    """A run with one metric of points points; (run id, seconds to read it back)."""
    from mlflow.entities import Metric

    run_id = client.create_run(experiment, run_name="long").info.run_id
    base_ms = int(time.time() * 1000)
    for first in range(0, points, PER_BATCH):
        batch = [
            Metric("long", float(s), base_ms + s, s)
            for s in range(first, min(first + PER_BATCH, points))
        ]
        client.log_batch(run_id, metrics=batch, synchronous=True)
    client.set_terminated(run_id)
    time.sleep(2)  # the end of the run is folded by the worker
    t0 = time.perf_counter()
    history = client.get_metric_history(run_id, "long")
    seconds = time.perf_counter() - t0
    if len(history) != points:
        print(f"  (get_metric_history answered {len(history):,} of {points:,} points)")
    return run_id, seconds


def chart_latency(client, base: str, session: str, experiment: str, trials: int = 5) -> float:
    """Seconds from a log_metric call to its point in the chart data (the worst of trials)."""
    from mlflow.entities import Metric

    run = client.create_run(experiment, run_name="watched")
    run_id = run.info.run_id
    client.log_batch(run_id, metrics=[Metric("loss", 1.0, int(time.time() * 1000), 0)])
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", f"sessionid={session}")]
    project, cairn_run = _cairn_ids(run_id)
    url = f"{base}/projects/{project}/results/chart/data/?metric=loss&runs={cairn_run}"
    worst = 0.0
    for step in range(1, trials + 1):
        t0 = time.perf_counter()
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
        while True:
            data = json.loads(opener.open(url, timeout=10).read())
            xs = data["data"][0]["x"] if data["data"] else []
            if xs and xs[-1] == step:
                break
            if time.perf_counter() - t0 > 30:
                return float("inf")
            time.sleep(0.05)
        worst = max(worst, time.perf_counter() - t0)
    client.set_terminated(run_id)
    return worst


def _cairn_ids(run_id: str) -> tuple[str, int]:
    """The project slug and Cairn run id of an MLflow run."""
    code = (
        "from tracking.models import LiveRun; "
        f"live = LiveRun.objects.select_related('run__project').get(uuid='{run_id}'); "
        "print(live.run.project.slug, live.run_id)"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], env=_CAIRN_ENV, cwd=ROOT,
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return out[-2], int(out[-1])


_CAIRN_ENV: dict = {}


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _line(label: str, figures: dict) -> str:
    return (
        f"  {label}: {figures['rate']:,.0f} points/s ({figures['points']:,} in "
        f"{figures['seconds']:.1f} s), log_batch p50 {figures['p50']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms"
    )


def measure(name: str, uri: str, token: str | None, args) -> dict:
    """The three ways of logging into one server, printed as they finish."""
    print(f"{name}:", flush=True)
    one = measure_module.log_points(measure_module.client(uri, token), args.points, name)
    print(_line("official client, one call at a time", one), flush=True)
    raw = measure_module.raw_http(uri, token, one["experiment"], args.points)
    print(_line("server's share (client's bodies pre-encoded)", raw), flush=True)
    many = measure_module.parallel(uri, token, args.points, args.clients, name)
    print(_line(f"{args.clients} client processes at once", many), flush=True)
    return {"one": one, "raw": raw, "many": many}


def _ratios(ours: dict, theirs: dict) -> None:
    for key, label in (
        ("one", "official client, one call at a time (the issue's figure)"),
        ("raw", "server's share"),
        ("many", "client processes at once"),
    ):
        ratio = ours[key]["rate"] / theirs[key]["rate"]
        print(f"  {label}: {ratio:.1f}x (target >= 10x): {verdict(ratio >= 10)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--postgres", default="postgres://postgres:postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_mlflow")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--skip-mlflow", action="store_true", help="Cairn's figures only")
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="cairn-bench-mlflow-")
    processes: list[subprocess.Popen] = []
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "300"
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    try:
        base, token, session, started = start_cairn(args, var)
        processes += started
        _CAIRN_ENV.update(
            os.environ,
            DJANGO_SETTINGS_MODULE="portfolio.settings.base",
            CAIRN_VAR_DIR=var,
            DATABASE_URL=f"{args.postgres.rstrip('/')}/{args.database}",
            REDIS_URL=f"{args.redis.rstrip('/')}/{args.redis_db}",
            LOG_LEVEL="ERROR",
        )
        alone = measure_module.client_alone()
        floor = client_floor()
        print(
            f"Logging {args.points:,} points ({PER_BATCH:,} per log_batch, runs x {METRICS} "
            f"metrics x {STEPS:,} steps) with the official client ({os.cpu_count()} cores).\n"
            f"The client's own work per log_batch, no network: p50 {alone['p50']:.1f} ms, "
            f"p95 {alone['p95']:.1f} ms.\n"
            f"The client against a server that answers at once (gunicorn, {{}}): p50 "
            f"{floor['p50']:.1f} ms, p95 {floor['p95']:.1f} ms, so one client cannot log more "
            f"than {floor['rate']:,.0f} points/s into any server.",
            flush=True,
        )
        ours = measure("Cairn (PostgreSQL + Redis, gunicorn 2x4, 1 worker)", f"{base}/mlflow",
                       token, args)  # fmt: skip
        p95 = ours["one"]["p95"]
        print(f"  p95 of one log_batch as the client sees it {p95:.1f} ms (target <= 25 ms): "
              f"{verdict(p95 <= 25)}; the server's share {ours['raw']['p95']:.1f} ms: "
              f"{verdict(ours['raw']['p95'] <= 25)}", flush=True)  # fmt: skip
        cairn = measure_module.client(f"{base}/mlflow", token)
        latency = chart_latency(cairn, base, session, ours["one"]["experiment"])
        print(
            f"A point logged while its chart is open is in the chart data after {latency:.2f} s "
            f"(worst of 5; target <= 2 s): {verdict(latency <= 2)}",
            flush=True,
        )
        _, ours_read = long_history(cairn, ours["one"]["experiment"], args.points)
        print(f"Cairn get_metric_history of {args.points:,} points: {ours_read:.2f} s", flush=True)
        if args.skip_mlflow:
            return
        mlflow_base, server = start_mlflow(var)
        processes.append(server)
        theirs = measure("MLflow server (SQLite, 2 workers)", mlflow_base, None, args)
        print("Ratio Cairn / MLflow server:")
        _ratios(ours, theirs)
        needed = 10 * theirs["one"]["rate"]
        reach = "beyond" if needed > floor["rate"] else "within"
        print(
            f"  10x the MLflow server's one-client rate is {needed:,.0f} points/s, {reach} "
            f"the {floor['rate']:,.0f} points/s one official client reaches even into a server "
            f"that answers at once; Cairn reaches {ours['one']['rate'] / floor['rate']:.0%} of "
            "that ceiling."
        )
        theirs_client = measure_module.client(mlflow_base, None)
        _, theirs_read = long_history(theirs_client, theirs["one"]["experiment"], args.points)
        print(
            f"get_metric_history of {args.points:,} points: Cairn {ours_read:.2f} s, MLflow "
            f"{theirs_read:.2f} s ({theirs_read / ours_read:.1f}x; target: Cairn faster): "
            f"{verdict(ours_read < theirs_read)}"
        )
    finally:
        for process in processes:
            _stop(process)


if __name__ == "__main__":
    main()
