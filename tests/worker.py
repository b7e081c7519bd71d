"""A real Celery worker process for tests, on whatever broker the settings name.

It listens on a queue of its own, so that tests sharing a Redis server with other runs (or a
developer's worker) never take each other's messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from portfolio.celery import app

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def celery_worker(
    *, env: dict[str, str] | None = None, timeout: float = 60, queue: str | None = None
) -> Iterator[str]:
    """Start `celery worker` in a child process and route new tasks to it; yield its queue.
    Name the queue ("celery", the default) only on a broker of the test's own: the worker then
    also takes what it sends itself."""
    queue = queue or f"cairn-test-{uuid.uuid4().hex[:8]}"
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "DATABASE_URL": test_database_url(),
        **(env or {}),
    }
    log = Path(os.environ.get("CAIRN_VAR_DIR") or tempfile.gettempdir()) / f"{queue}.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portfolio", "worker", "-Q", queue,
             "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--hostname", f"{queue}@%h"],
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
