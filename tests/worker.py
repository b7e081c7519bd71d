"""A real Celery worker process for tests, on whatever broker the settings name.

It listens on a queue of its own, so that tests sharing a Redis server with other runs (or a
developer's worker) never take each other's messages.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

from portfolio.celery import app

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def celery_worker(
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    queue: str | None = None,
    beat: bool = False,
) -> Iterator[str]:
    """Start `celery worker` in a child process and route new tasks to it; yield its queue.

    queue: listen on this queue (a second worker taking over from a first); beat: run Celery
    beat inside the worker (-B), its tasks sent to the same queue.
    """
    queue = queue or f"cairn-test-{uuid.uuid4().hex[:8]}"
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "DATABASE_URL": test_database_url(),
        # Tasks the worker sends itself (beat, the sweep) go to the test's queue too.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(env or {}),
    }
    var = Path(os.environ.get("CAIRN_VAR_DIR") or tempfile.gettempdir())
    log = var / f"{queue}-{uuid.uuid4().hex[:4]}.log"
    extra = ["--beat", "--schedule-filename", str(log.with_suffix(".schedule"))] if beat else []
    hostname = f"{queue}-{uuid.uuid4().hex[:4]}@%h"
    with log.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portfolio", "worker", "-Q", queue,
             "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--hostname", hostname,
             *extra],
            cwd=ROOT, env=child_env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        saved = (app.conf.task_always_eager, app.conf.task_default_queue)
        celery_worker.process = proc
        app.conf.task_always_eager = False
        app.conf.task_default_queue = queue
        try:
            _wait_until_ready(proc, log, timeout)
            yield queue
        finally:
            app.conf.task_always_eager, app.conf.task_default_queue = saved
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def kill_whole_worker(proc: subprocess.Popen) -> list[int]:
    """SIGKILL a worker's main process and its pool processes at once, as an OOM kill would."""
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = [proc.pid, *map(int, children)]
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return pids


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen]:
    """A Redis server of the test's own on this port (never the shared one); stopped at the end."""
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: _answers(port), timeout=10, interval=0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def use_broker(url: str) -> Iterator[None]:
    """Send this process's tasks to another broker for a while."""
    saved = app.conf.broker_url

    def reset() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = saved
        reset()


def test_database_url() -> str:
    """The URL of the database the tests use now, for a worker process to share it."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{user}{password}@{host}/{db['NAME']}"


def _wait_until_ready(proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Celery worker exited ({proc.returncode}):\n{log.read_text()}")
        if " ready." in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{log.read_text()}")


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2):
    """Poll predicate until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
