"""MLflow's artifact proxy endpoints (tracking/artifacts.py), as the client calls them."""

from __future__ import annotations

import pytest

from portfolio.api.tokens import token_create
from projects.models import RunArtifact
from tests.factories import create_project
from tests.tracking.live_runs import live_run

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BASE = "/mlflow/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def run(alice):
    return live_run(create_project(owner=alice))


def _auth(user) -> dict:
    return {"Authorization": f"Bearer {token_create(user=user, name='laptop')[1]}"}


def _url(live, path: str = "") -> str:
    return f"{BASE}/{live.run.project_id}/{live.uuid}/artifacts" + (f"/{path}" if path else "")


def _put(client, live, path: str, data: bytes, auth: dict, content_type="text/plain"):
    return client.put(_url(live, path), data=data, content_type=content_type, headers=auth)


def test_a_file_put_through_the_proxy_is_listed_and_read_back_byte_for_byte(client, alice, run):
    auth = _auth(alice)

    assert _put(client, run, "notes/summary.txt", b"accuracy 0.91\n", auth).json() == {}
    assert _put(client, run, "plot.png", PNG, auth, "image/png").status_code == 200

    root = client.get(BASE, {"path": f"{run.run.project_id}/{run.uuid}/artifacts"}, headers=auth)
    assert root.json() == {
        "files": [
            {"path": "notes", "is_dir": True},
            {"path": "plot.png", "is_dir": False, "file_size": len(PNG)},
        ]
    }
    inner = client.get(
        BASE, {"path": f"{run.run.project_id}/{run.uuid}/artifacts/notes"}, headers=auth
    )
    assert inner.json()["files"] == [{"path": "summary.txt", "is_dir": False, "file_size": 14}]
    download = client.get(_url(run, "plot.png"), headers=auth)
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_same_path_put_again_replaces_the_file(client, alice, run):
    auth = _auth(alice)
    _put(client, run, "config.json", b'{"lr": 0.1}', auth)
    _put(client, run, "config.json", b'{"lr": 0.01}', auth)

    artifact = RunArtifact.objects.get(run=run.run)
    assert (artifact.path, artifact.kind, artifact.size) == ("config.json", "json", 12)
    assert artifact.file.read() == b'{"lr": 0.01}'


def test_a_file_past_the_upload_limit_is_refused_in_mlflows_error_format(
    client, alice, run, settings
):
    settings.CAIRN_MAX_UPLOAD_BYTES = 1000

    response = _put(client, run, "weights.bin", b"x" * 1001, _auth(alice))

    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "0.001 MB" in response.json()["message"]
    assert not RunArtifact.objects.exists()


def test_someone_elses_run_answers_as_not_found(client, bob, run):
    auth = _auth(bob)

    put = _put(client, run, "x.txt", b"mine now", auth)
    get = client.get(_url(run, "x.txt"), headers=auth)
    listing = client.get(BASE, {"path": f"0/{run.uuid}/artifacts"}, headers=auth)

    for response in (put, get, listing):
        assert response.status_code == 404
        assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert not RunArtifact.objects.exists()


def test_a_request_without_a_token_is_unauthenticated(client, run):
    response = _put(client, run, "x.txt", b"hello", {})

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("path", ["../../other/artifacts/x.txt", "a/../../x.txt", "a//b.txt"])
def test_a_path_that_leaves_the_runs_folder_is_refused(client, alice, run, path):
    response = _put(client, run, path, b"escape", _auth(alice))

    assert response.status_code in (400, 404)
    assert "error_code" in response.json()
    assert not RunArtifact.objects.exists()


def test_a_missing_file_answers_resource_does_not_exist(client, alice, run):
    response = client.get(_url(run, "nothing.txt"), headers=_auth(alice))

    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
