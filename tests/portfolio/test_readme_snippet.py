"""The README's API snippet for training scripts: it uploads, polls, and always ends."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from django.test import Client

from portfolio.api.tokens import token_create
from tests.factories import create_project

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    return next(block for block in blocks if "def upload_results" in block)


class _Answer:
    def __init__(self, response):
        self.response = response

    def json(self):
        return self.response.json()


def _requests_through(client: Client) -> types.ModuleType:
    """A `requests` whose calls go to this Django test client: the real API, no network."""
    module = types.ModuleType("requests")

    def post(url, headers, files, timeout):
        data = {name: handle for name, handle in files.items()}
        return _Answer(client.post(url.replace("http://testserver", ""), data, headers=headers))

    def get(url, headers, timeout):
        return _Answer(client.get(url.replace("http://testserver", ""), headers=headers))

    module.post, module.get = post, get
    return module


@pytest.fixture
def upload_results(alice, monkeypatch):
    create_project(owner=alice, title="Snippet")
    _, raw = token_create(user=alice, name="script")
    monkeypatch.setenv("CAIRN_TOKEN", raw)
    monkeypatch.setitem(sys.modules, "requests", _requests_through(Client()))
    namespace: dict = {}
    exec(compile(_snippet(), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace


def _worker_runs_while_the_script_sleeps(_seconds) -> None:
    from projects.imports import import_process
    from projects.models import ExperimentImport

    for imp in ExperimentImport.objects.filter(status="queued"):
        import_process(import_id=imp.pk, token="worker")


def test_the_snippet_returns_once_the_import_has_ended(upload_results, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Notes, not results.\n")
    upload_results["time"] = types.SimpleNamespace(
        sleep=_worker_runs_while_the_script_sleeps, monotonic=iter(range(10**6)).__next__
    )

    job = upload_results["upload_results"](str(notes), "snippet", base="http://testserver/api/v1")

    assert job["status"] == "failed"
    assert "notes.txt" in job["message"]


def test_the_snippet_gives_up_with_a_timeout_when_no_worker_ever_answers(upload_results, tmp_path):
    metrics = tmp_path / "m.jsonl"
    metrics.write_text('{"step": 1, "loss": 0.5}\n')
    # Nobody processes the import; each look at the clock is a minute later.
    upload_results["time"] = types.SimpleNamespace(
        sleep=lambda _s: None, monotonic=iter(range(0, 10**6, 60)).__next__
    )

    with pytest.raises(TimeoutError, match="still queued"):
        upload_results["upload_results"](str(metrics), "snippet", base="http://testserver/api/v1")
