"""What the server source says when an address answers, but not as an MLflow server should.

A real HTTP server on a free port stands in for a broken tracker: an HTML page, a crash, a hang,
a refusal. (Right answers come from a real `mlflow server` in test_sync_server.py.)
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlsync import services
from mlsync.models import SyncState
from mlsync.sources import SourceError
from mlsync.sources.server import ServerSource
from mlsync.sync import sync_connection_run
from tests.factories import create_project

CRASH = b'{"error_code": "INTERNAL_ERROR", "message": "database is locked"}'


class Broken(BaseHTTPRequestHandler):
    def do_GET(self):
        mode = self.path.split("/")[1]
        if mode == "slow":
            time.sleep(2)
        status, kind, body = {
            "html": (200, "text/html", b"<html><body>Welcome to nginx</body></html>"),
            "crash": (500, "application/json", CRASH),
            "gateway": (502, "text/html", b"<html>Bad Gateway</html>"),
            "forbidden": (403, "application/json", b'{"error_code": "PERMISSION_DENIED"}'),
            "slow": (200, "application/json", b"{}"),
            "half": (200, "application/json", b'{"experiment": {"experiment_id": "1", '),
        }[mode]  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def broken():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    server.handle_error = lambda request, address: None  # a client that gave up on a hang
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("html", "answered experiments/get-by-name with text/html, not MLflow's JSON"),
        ("half", "with application/json, not MLflow's JSON"),
        ("crash", "failed (500) on experiments/get-by-name: database is locked"),
        ("gateway", "failed (502) on experiments/get-by-name."),
        ("forbidden", "refused the credentials (403 Forbidden)"),
        ("slow", "did not answer within 1 seconds (experiments/get-by-name)"),
    ],
)
def test_each_wrong_answer_has_its_own_reason(broken, mode, words):
    with pytest.raises(SourceError) as caught:
        ServerSource(f"{broken}/{mode}", timeout=1).experiments(["cifar"])
    assert words in str(caught.value)
    assert str(caught.value).startswith(
        f"The MLflow server at {broken}/{mode}" if mode != "html" and mode != "half"
        else f"The address {broken}/{mode}"
    )  # fmt: skip


def test_a_sync_against_a_broken_server_fails_with_that_reason_and_writes_nothing(broken, alice):
    project = create_project(owner=alice, title="Vision")
    conn = services.connection_create(
        project=project, kind="server", server_url=f"{broken}/crash", experiments=["cifar"]
    )
    sync = sync_connection_run(connection_id=conn.pk)
    assert sync.state == SyncState.FAILED
    assert sync.reason.endswith("database is locked")
    assert not project.runs.exists()
    assert sync.errors == []
