"""What the benches share: their options, the child process that measures on one database, a
throwaway test database, timing, query counting, free ports, and the verdict printed on every
line.

A child gets its own settings (DATABASE_URL or none for SQLite, REDIS_URL or none, a fresh
CAIRN_VAR_DIR), so the SQLite and PostgreSQL figures come from the same code in the same run.
Each bench has its own PostgreSQL database name (`cairn_bench_<script>`; Django creates and drops
`test_cairn_bench_<script>` beside it), so two benches, or a bench and the tests, never meet.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres:postgres@127.0.0.1:5432"
REDIS_SERVER = "redis://127.0.0.1:6379"


def bench_name(script: str) -> str:
    return Path(script).stem


def default_postgres(script: str) -> str:
    """This bench's own database on the local server ($BENCH_POSTGRES names another server)."""
    server = os.environ.get("BENCH_POSTGRES", POSTGRES_SERVER).rstrip("/")
    return f"{server}/cairn_bench_{bench_name(script)}"


def default_redis() -> str:
    """A Redis database of the benches' own (15), unless $BENCH_REDIS names one."""
    return os.environ.get("BENCH_REDIS", f"{REDIS_SERVER}/15")


def add_options(parser: argparse.ArgumentParser, script: str, *, redis: bool = False) -> None:
    """--postgres URL|none (and --redis URL|none), --child."""
    parser.add_argument(
        "--postgres",
        default=default_postgres(script),
        help="PostgreSQL URL (this bench's own database by default); 'none' to skip",
    )
    if redis:
        parser.add_argument(
            "--redis", default=default_redis(), help="Redis URL beside PostgreSQL; 'none' to skip"
        )
    parser.add_argument("--child", nargs="?", const="", default=None, help=argparse.SUPPRESS)


def backends(postgres: str, redis: str = "none") -> list[tuple[str, dict[str, str]]]:
    """(label, environment) pairs: SQLite always, PostgreSQL (and Redis) unless "none"."""
    out = [("SQLite", {})]
    if postgres != "none":
        env = {"DATABASE_URL": postgres}
        label = "PostgreSQL"
        if redis != "none":
            env["REDIS_URL"] = redis
            label = "PostgreSQL + Redis"
        out.append((label, env))
    return out


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a measuring process: base settings, a fresh var dir, `extra`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "CAIRN_VAR_DIR": tempfile.mkdtemp(prefix="cairn-bench-"),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
    }
    for key in ("DATABASE_URL", "REDIS_URL", "CAIRN_EXPECT_SERVICES"):
        env.pop(key, None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *arguments: str) -> str:
    """Run `manage.py ARGUMENTS` with `env` (a server's settings); its standard output."""
    out = subprocess.run(
        [sys.executable, "manage.py", *arguments], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout


def serve(env: dict[str, str], port: int, *options: str) -> subprocess.Popen:
    """gunicorn (2 workers, `options`) serving Cairn with `env` on `port`, once both workers
    answer: the first request of each imports the URLconf (and scipy), not a visitor's."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portfolio.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *options],
        env=env, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            for _ in range(4):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30).read()
            return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not answer within 60 s")


def run_child(script: str, arguments: list[str], extra: dict[str, str] | str):
    """Run `script ARGUMENTS --child` with `extra` settings: (result JSON, None) or (None, error).

    `extra` may be a DATABASE_URL alone ("" for SQLite)."""
    if isinstance(extra, str):
        extra = {"DATABASE_URL": extra} if extra else {}
    out = subprocess.run(
        [sys.executable, script, *arguments, "--child"],
        env=child_env(extra), cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        return None, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), None


@contextlib.contextmanager
def test_database() -> Iterator[None]:
    """A throwaway test database for the child's settings, dropped afterwards."""
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def times_ms(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return round(statistics.median(times_ms(fn, runs)), 1)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)


@contextlib.contextmanager
def counted_queries() -> Iterator[list[dict]]:
    """The queries run inside the block, each with its SQL and time in ms."""
    from django.db import connection

    queries: list[dict] = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append({"sql": sql, "ms": (time.perf_counter() - start) * 1000})

    with connection.execute_wrapper(timed):
        yield queries


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def figure(label: str, value: str, target: str, ok: bool) -> str:
    """One line of figures: what, how much, the target, and the verdict."""
    return f"  {label:<44} {value:>22}   target {target:<16} {verdict(ok)}"


@contextlib.contextmanager
def own_database(url: str) -> Iterator[str]:
    """The PostgreSQL database of `url` made empty for a server process, dropped afterwards."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
