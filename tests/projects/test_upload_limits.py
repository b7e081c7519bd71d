"""An upload over the size limit is refused from its Content-Length, before its body is read,
with a message in the client's own format; uploads under it arrive in large chunks."""

from __future__ import annotations

import hashlib
import socket
import time

import pytest
from django.conf import settings
from django.core.files.uploadhandler import load_handler
from django.urls import reverse

from projects.models import ExperimentImport
from projects.uploads import CHUNK_SIZE, request_limit
from tests.factories import create_project

pytestmark = pytest.mark.django_db

OVER = 412_000_000


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    read_from = False

    def read(self, *args):
        UnreadableBody.read_from = True
        raise AssertionError("the body of a refused upload was read")

    readline = read


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Sweep")


def _forged(client, url: str, *, accept: str, **headers):
    UnreadableBody.read_from = False
    return client.generic(
        "POST",
        url,
        content_type="multipart/form-data; boundary=cairn",
        CONTENT_LENGTH=str(OVER),
        HTTP_ACCEPT=accept,
        **{"wsgi.input": UnreadableBody()},
        **headers,
    )


def test_a_browser_upload_over_the_limit_gets_a_413_page_without_its_body_being_read(
    alice_client, project
):
    back = f"http://testserver{project.get_absolute_url()}"

    response = _forged(
        alice_client,
        reverse("projects:import-upload", args=[project.slug]),
        accept="text/html,application/xhtml+xml",
        HTTP_REFERER=back,
    )

    assert response.status_code == 413
    assert not UnreadableBody.read_from
    assert "This upload is 412 MB; Cairn takes at most 200 MB in one upload." in response.text
    assert f'href="{back}"' in response.text
    assert not ExperimentImport.objects.exists()


def test_the_page_links_back_only_to_this_site(alice_client, project):
    response = _forged(
        alice_client,
        reverse("projects:import-upload", args=[project.slug]),
        accept="text/html",
        HTTP_REFERER="https://evil.example/",
    )

    assert response.status_code == 413
    assert "evil.example" not in response.text


def test_an_api_upload_over_the_limit_gets_json_413_without_its_body_being_read(client, project):
    response = _forged(
        client, reverse("api:imports", args=[project.slug]), accept="application/json"
    )

    assert response.status_code == 413
    assert not UnreadableBody.read_from
    assert response.json() == {
        "error": "This upload is 412 MB; Cairn takes at most 200 MB in one upload."
    }


def test_an_mlflow_artifact_over_the_limit_gets_mlflows_error_format(client):
    url = "/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/weights.bin"
    UnreadableBody.read_from = False

    response = client.generic(
        "PUT", url, CONTENT_LENGTH=str(OVER), **{"wsgi.input": UnreadableBody()}
    )

    assert response.status_code == 413
    assert not UnreadableBody.read_from
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "412 MB" in response.json()["message"]


def test_a_request_at_the_limit_goes_through_to_the_view(alice_client, project):
    # At the limit the body is read and the view answers (here: no file in the form).
    response = alice_client.post(
        reverse("projects:import-upload", args=[project.slug]),
        b"--cairn--\r\n",
        content_type="multipart/form-data; boundary=cairn",
    )

    assert request_limit() > settings.CAIRN_MAX_UPLOAD_BYTES
    assert response.status_code == 302


def test_a_real_client_gets_the_413_having_sent_only_the_headers(live_server, alice):
    """Over a socket: the answer arrives while nearly all of the declared body is unsent."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                "POST /api/projects/any/imports/ HTTP/1.1\r\n"
                f"Host: {host}\r\nAccept: application/json\r\n"
                "Content-Type: multipart/form-data; boundary=cairn\r\n"
                f"Content-Length: {OVER}\r\n\r\n"
            ).encode()
            + b"--cairn\r\n" * 100
        )
        start = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        waited = time.monotonic() - start

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert waited < 5


def test_uploads_are_received_in_chunks_of_half_a_mebibyte(rf):
    request = rf.post("/")
    handlers = [load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS]

    assert {h.chunk_size for h in handlers} == {CHUNK_SIZE}
    # Eight times Django's 64 KiB: fewer Python steps per megabyte, still served from the
    # heap (portfolio/server/allocator.py) rather than fresh mmap()s.
    assert CHUNK_SIZE == 1 << 19


def test_a_large_upload_is_stored_by_moving_the_received_file_with_the_hash_taken_on_arrival(
    alice_client, project, tmp_path, settings
):
    """Over the in-memory size, the request's temporary file (hashed as it arrived) becomes the
    stored file: same bytes, the right sha256, and no temporary file left behind."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    rows = "".join(f"run-{r},loss,{s},{1 / (s + 1):.6f}\n" for r in range(3) for s in range(3000))
    body = ("run,metric,step,value\n" + rows * 40).encode()
    assert len(body) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    upload = tmp_path / "sweep.csv"
    upload.write_bytes(body)
    moved = []
    from django.core.files.storage import FileSystemStorage

    original = FileSystemStorage._save

    def watching(storage, name, content):
        moved.append(hasattr(content, "temporary_file_path"))
        return original(storage, name, content)

    with upload.open("rb") as handle, pytest.MonkeyPatch.context() as patch:
        patch.setattr(FileSystemStorage, "_save", watching)
        response = alice_client.post(
            reverse("projects:import-upload", args=[project.slug]), {"files": handle}
        )

    assert response.status_code == 302
    stored = ExperimentImport.objects.get(project=project).files.get()
    assert moved == [True]
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.size == len(body)
    with stored.file.open("rb") as handle:
        assert handle.read() == body
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.csv"]  # the temporary file moved


def test_a_small_upload_is_copied_and_hashed_the_same_way(alice_client, project):
    body = b"run,metric,step,value\nr1,loss,0,0.5\nr1,loss,1,0.25\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = alice_client.post(
        reverse("projects:import-upload", args=[project.slug]),
        {"files": SimpleUploadedFile("small.csv", body, content_type="text/csv")},
    )

    assert response.status_code == 302
    stored = ExperimentImport.objects.get(project=project).files.get()
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    with stored.file.open("rb") as handle:
        assert handle.read() == body
