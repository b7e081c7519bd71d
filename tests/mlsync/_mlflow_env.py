"""Stand-in for tests/mlflow_env.py until the shared fixture lands: MLflow in a virtual
environment of its own under var/ (made once with pip), and a script run with its Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

VENV = Path(__file__).resolve().parents[2] / "var" / "mlflow-env"


def _python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "mlflow>=3,<4"], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"MLflow's virtual environment could not be made: {exc}")
    return python


def run_in_mlflow_env(script: str, env: dict[str, str]) -> str:
    """Run script with MLflow's Python and env added; its stdout, or the test fails with stderr."""
    done = subprocess.run(
        [str(_python()), "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        pytest.fail(f"The MLflow script failed:\n{done.stderr[-4000:]}")
    return done.stdout
