"""Six identical uploads at the same moment, through the HTTP API of a live server.

Each request is its own thread with its own database connection, so the uploads really race
for the import's unique row. Every answer must be 2xx JSON naming the one import; none a 500.
Only PostgreSQL runs the requests in parallel (SQLite serialises every writer), so this runs
in the services pass.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection

from portfolio.api.tokens import token_create
from projects.models import ExperimentImport, ImportFile
from tests.factories import create_project, sample

pytestmark = pytest.mark.django_db(transaction=True)

UPLOADS = 6


def _multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _post(url: str, raw: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(  # noqa: S310 - the live_server URL
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {raw}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - live_server
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_identical_uploads_at_once_all_answer_json_with_the_one_import(live_server, alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so uploads cannot race")
    project = create_project(owner=alice, title="Race")
    _, raw = token_create(user=alice, name="cluster")
    url = f"{live_server.url}/api/v1/projects/{project.slug}/imports"
    body, content_type = _multipart("long.csv", sample("long.csv").read_bytes())
    start = threading.Barrier(UPLOADS)
    answers: list = [None] * UPLOADS

    def upload(i: int) -> None:
        start.wait(timeout=30)
        answers[i] = _post(url, raw, body, content_type)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = [status for status, _, _ in answers]
    assert all(200 <= status < 300 for status in statuses), answers
    assert all(kind.startswith("application/json") for _, kind, _ in answers), answers
    ids = {json.loads(content)["id"] for _, _, content in answers}
    imp = ExperimentImport.objects.get(project=project)
    assert ids == {imp.pk}
    assert statuses.count(202) == 1  # one queued it; the others were told of it
    assert ImportFile.objects.filter(experiment_import__project=project).count() == 1
