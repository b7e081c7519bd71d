"""Running a bench's measuring part in a child process, once per database.

A child gets its own settings (DATABASE_URL or none for SQLite, a fresh CAIRN_VAR_DIR), so the
SQLite and PostgreSQL figures come from the same code in the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def backends(postgres: str) -> list[tuple[str, str]]:
    """(label, DATABASE_URL) pairs: SQLite always, PostgreSQL unless postgres is "none"."""
    out = [("SQLite", "")]
    if postgres != "none":
        out.append(("PostgreSQL", postgres))
    return out


def run_child(script: str, arguments: list[str], database_url: str):
    """Run `script --child ARGUMENTS` against one database: (result JSON, None) or (None, error)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "CAIRN_VAR_DIR": tempfile.mkdtemp(prefix="cairn-bench-"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    out = subprocess.run(
        [sys.executable, script, *arguments, "--child"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        return None, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), None
