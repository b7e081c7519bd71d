"""A real MLflow for tests: its own virtual environment, `mlflow server` processes, and scripts run
with the official client.

MLflow's pins differ from Cairn's, so it lives in a virtual environment of its own under
var/mlflow-env (made once with pip, reused by every later run, like bench/mlflow_bench.py's). Tests
use it through three things:
- `mlflow_python()`: the environment's interpreter (made on first use);
- `MlflowServer`: `mlflow server` on a free port with a SQLite backend, optionally behind MLflow's
  own basic-auth app, that a test can stop and start again on the same port and database;
- `run_in_mlflow_env(script, env)`: a Python script run there (the real client writing runs to a
  server, an mlruns folder or an mlflow.db file).
`python -m tests.mlflow_env` makes the environment (.ci/run does, before the tests).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "var" / "mlflow-env"
# The full package (`mlflow server`) with the basic-auth app's extras, pinned: tests read what
# this version answers.
REQUIREMENT = "mlflow[auth]==3.17.2"
MARKER = VENV / f".installed-{REQUIREMENT.replace('[', '-').replace(']', '').replace('=', '')}"


class MlflowUnavailable(RuntimeError):
    """The MLflow environment could not be made (no network, no pip)."""


def mlflow_python() -> Path:
    """The interpreter of var/mlflow-env, made with pip on first use (under a lock, so parallel
    runs make it once)."""
    python = VENV / "bin" / "python"
    if MARKER.exists():
        return python
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / "mlflow-env.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if MARKER.exists():
            return python
        log = VENV.parent / "mlflow-env-install.log"
        with log.open("w") as out:
            steps = [
                [sys.executable, "-m", "venv", str(VENV)],
                [str(VENV / "bin" / "pip"), "install", "--quiet", REQUIREMENT],
            ]
            for step in steps:
                done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, check=False)
                if done.returncode:
                    raise MlflowUnavailable(
                        f"could not make {VENV} ({' '.join(step[:3])} exited {done.returncode}; "
                        f"see {log})"
                    )
        MARKER.touch()
    return python


NOT_FOR_MLFLOW = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "LD_PRELOAD", "FAKETIME")


def run_in_mlflow_env(
    script: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run a Python script with the real MLflow client; its stdout, or AssertionError with what
    it printed when it fails. env is added to this process's environment."""
    child_env = {**os.environ, "MLFLOW_ENABLE_ASYNC_LOGGING": "false", **(env or {})}
    # Cairn's own settings and paths mean nothing there; MLflow runs on the machine's clock, as
    # its files' modification times do (CI's clock-ahead pass moves only Cairn's, libfaketime).
    for name in NOT_FOR_MLFLOW:
        child_env.pop(name, None)
    done = subprocess.run(
        [str(mlflow_python()), "-c", textwrap.dedent(script)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise AssertionError(
            f"the MLflow script exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


AUTH_INI = """\
[mlflow]
default_permission = READ
database_uri = sqlite:///{folder}/auth.db
admin_username = {username}
admin_password = {password}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
"""


class MlflowServer:
    """`mlflow server` on 127.0.0.1 with a SQLite backend in folder; auth: behind MLflow's
    basic-auth app with the admin user `username`/`password`."""

    username = "admin"
    password = "s3cret-Passw0rd!"

    def __init__(self, folder: Path, *, auth: bool = False, workers: int = 1):
        self.folder, self.auth, self.workers = Path(folder), auth, workers
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def client_env(self) -> dict[str, str]:
        """What the MLflow client needs in its environment to log to this server."""
        env = {"MLFLOW_TRACKING_URI": self.url}
        if self.auth:
            env.update(
                MLFLOW_TRACKING_USERNAME=self.username, MLFLOW_TRACKING_PASSWORD=self.password
            )
        return env

    def start(self, timeout: float = 120) -> MlflowServer:
        env = {**os.environ}
        for name in NOT_FOR_MLFLOW:
            env.pop(name, None)
        command = [
            str(mlflow_python().parent / "mlflow"), "server",
            "--backend-store-uri", f"sqlite:///{self.folder}/mlflow.db",
            "--default-artifact-root", str(self.folder / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
        ]  # fmt: skip
        if self.auth:
            ini = self.folder / "auth.ini"
            ini.write_text(
                AUTH_INI.format(folder=self.folder, username=self.username, password=self.password)
            )
            env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
            env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = "cairn-tests-only"
            command += ["--app-name", "basic-auth"]
        database, template = self.folder / "mlflow.db", VENV / "empty-mlflow.db"
        fresh = not database.exists()
        if fresh and template.exists():
            # MLflow makes its tables with a long chain of migrations; an empty database made
            # once is copied instead (a quarter of the start time).
            shutil.copyfile(template, database)
        self.log = self.folder / f"server-{uuid.uuid4().hex[:6]}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mlflow server exited:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=2).close()  # noqa: S310
                if fresh and not template.exists():
                    partial = template.with_suffix(f".{uuid.uuid4().hex[:6]}")
                    shutil.copyfile(database, partial)
                    partial.replace(template)
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"mlflow server gave no answer in {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server and every process it started (its workers)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


if __name__ == "__main__":
    print(f"{REQUIREMENT} in {mlflow_python().parent.parent}")


# --- pytest fixtures (tests/mlsync/conftest.py imports them; any conftest may) ------------------


def _unavailable(reason: str) -> None:
    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"MLflow is required under CI: {reason}")
    pytest.skip(f"MLflow is not available here: {reason}")


def _fixtures():
    import pytest

    @pytest.fixture(scope="session")
    def mlflow_env() -> Path:
        """The MLflow environment's interpreter; skipped when it cannot be made, failed under CI."""
        try:
            return mlflow_python()
        except (MlflowUnavailable, OSError) as exc:
            _unavailable(str(exc))

    @pytest.fixture(scope="session")
    def mlflow_server(mlflow_env, tmp_path_factory):
        """One `mlflow server` for the session (tests use experiments of their own names)."""
        server = MlflowServer(tmp_path_factory.mktemp("mlflow-server")).start()
        yield server
        server.stop()

    @pytest.fixture(scope="session")
    def mlflow_auth_server(mlflow_env, tmp_path_factory):
        """`mlflow server --app-name basic-auth`: a user name and password are required."""
        server = MlflowServer(tmp_path_factory.mktemp("mlflow-auth"), auth=True).start()
        yield server
        server.stop()

    return mlflow_env, mlflow_server, mlflow_auth_server


mlflow_env, mlflow_server, mlflow_auth_server = _fixtures()
