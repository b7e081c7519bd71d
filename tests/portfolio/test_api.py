"""The HTTP API: token authentication, uploads, import status and the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from portfolio.tokens import token_create, token_revoke
from projects.models import ExperimentImport
from tests.factories import create_project, import_results, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Fraud model")


@pytest.fixture
def token(alice) -> str:
    return token_create(user=alice, name="training cluster")[1]


def _auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def _imports_url(project) -> str:
    return reverse("api:imports", args=[project.slug])


def _file(name: str = "metrics.jsonl") -> SimpleUploadedFile:
    path = sample(name)
    return SimpleUploadedFile(path.name, path.read_bytes())


def _post(client, project, raw: str | None, data=None):
    headers = _auth(raw) if raw is not None else {}
    data = {"file": _file()} if data is None else data
    return client.post(_imports_url(project), data, headers=headers)


# --- Who may call it ---------------------------------------------------------------------------


def _revoked(alice) -> str:
    token, raw = token_create(user=alice, name="old laptop")
    token_revoke(token=token)
    return raw


def _forged(alice) -> str:
    token, _ = token_create(user=alice, name="real")
    return f"cairn_{token.prefix}_{'x' * 43}"


@pytest.mark.parametrize(
    "make_raw",
    [
        pytest.param(lambda alice: None, id="no-token"),
        pytest.param(_revoked, id="revoked"),
        pytest.param(_forged, id="forged"),
        pytest.param(lambda alice: "not-a-cairn-token", id="malformed"),
    ],
)
def test_it_answers_401_without_a_valid_token_and_creates_nothing(client, alice, project, make_raw):
    raw = make_raw(alice)
    imp = import_results(project, sample("long.csv"))
    status_url = reverse("api:import", args=[project.slug, imp.pk])

    post = _post(client, project, raw)
    get = client.get(status_url, headers=_auth(raw) if raw else {})

    for response in (post, get):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="cairn"'
        assert "Authorization: Bearer" in response.json()["error"]
    assert ExperimentImport.objects.count() == 1


def test_a_signed_in_session_is_no_substitute_for_a_token(alice_client, project):
    response = alice_client.post(_imports_url(project), {"file": _file()})

    assert response.status_code == 401
    assert not ExperimentImport.objects.exists()


def test_it_answers_404_for_another_users_project_as_for_a_missing_one(client, bob, project, token):
    bobs = create_project(owner=bob, title="Bob's recommender")
    bobs_import = import_results(bobs, sample("long.csv"))

    theirs = _post(client, bobs, token)
    missing = client.post(
        reverse("api:imports", args=["no-such"]), {"file": _file()}, headers=_auth(token)
    )
    their_import = client.get(
        reverse("api:import", args=[bobs.slug, bobs_import.pk]), headers=_auth(token)
    )

    assert theirs.status_code == missing.status_code == their_import.status_code == 404
    assert ExperimentImport.objects.count() == 1


def test_it_answers_404_for_an_import_of_another_project(client, alice, project, token):
    other = create_project(owner=alice, title="Churn")
    imp = import_results(other, sample("long.csv"))

    response = client.get(reverse("api:import", args=[project.slug, imp.pk]), headers=_auth(token))

    assert response.status_code == 404


# --- Upload and status -------------------------------------------------------------------------


def test_an_upload_is_queued_and_answers_202_with_where_to_follow_it(client, project, token):
    response = _post(client, project, token)

    imp = project.imports.get()
    body = response.json()
    status_url = f"http://testserver{reverse('api:import', args=[project.slug, imp.pk])}"
    assert response.status_code == 202
    assert response["Location"] == status_url
    assert body["id"] == imp.pk
    assert body["status"] == "queued"
    assert body["status_url"] == status_url
    assert body["page_url"] == f"http://testserver{imp.get_absolute_url()}"
    assert body["duplicate"] is False
    assert body["report"] is None
    assert (body["file_name"], body["sha256"], body["size"]) == (
        "metrics.jsonl",
        imp.sha256,
        sample("metrics.jsonl").stat().st_size,
    )
    assert imp.uploaded_by.username == "alice"


def test_an_upload_with_its_folder_path_names_the_run_after_the_version(
    client, project, token, django_capture_on_commit_callbacks
):
    metrics = SimpleUploadedFile("metrics.csv", b"epoch,step,loss\n0,9,0.9\n1,19,0.7\n")
    data = {"file": metrics, "paths": "lightning_logs/version_7/metrics.csv"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, project, token, data)

    assert response.status_code == 202
    assert response.json()["file_name"] == "lightning_logs/version_7/metrics.csv"
    assert project.runs.get().name == "version_7"


def test_the_status_has_the_report_once_the_import_ran(
    client, project, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(client, project, token).json()

    response = client.get(created["status_url"], headers=_auth(token))

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "succeeded"
    assert body["progress"] == 1.0
    assert (body["format"], body["importer_version"]) == ("jsonl", "1.0")
    assert (body["runs"], body["series"], body["points"]) == (1, 2, 20)
    assert body["report"] == {
        "rows_read": 10,
        "rows_accepted": 10,
        "rows_rejected": 0,
        "rejected": [],
        "warnings": [],
        "decisions": [
            {
                "subject": "format",
                "choice": "JSON Lines",
                "why": "the file looks like JSON objects, one a line",
            }
        ],
        "roles": {},
    }
    assert body["finished_at"] is not None
    assert "duplicate" not in body


def test_a_failed_import_reports_why(client, project, token, django_capture_on_commit_callbacks):
    notes = SimpleUploadedFile("notes.txt", b"Notes, not results.\n")
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(client, project, token, {"file": notes}).json()

    body = client.get(created["status_url"], headers=_auth(token)).json()

    assert body["status"] == "failed"
    assert body["message"].startswith("Cairn could not tell the format of “notes.txt”.")


def test_the_same_file_again_answers_200_with_the_first_import(client, project, token):
    first = _post(client, project, token)

    again = _post(client, project, token)

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert project.imports.count() == 1


def test_it_answers_400_without_a_file(client, project, token):
    response = _post(client, project, token, {"format": "jsonl"})

    assert response.status_code == 400
    assert "“file”" in response.json()["error"]
    assert not ExperimentImport.objects.exists()


def test_it_answers_400_for_an_unknown_format(client, project, token):
    response = _post(client, project, token, {"file": _file(), "format": "excel"})

    assert response.status_code == 400
    assert response.json()["error"] == "Unknown format “excel”."


@override_settings(CAIRN_MAX_UPLOAD_BYTES=1_000_000)
def test_it_answers_413_for_a_file_over_the_limit(client, project, token):
    big = SimpleUploadedFile("big.csv", b"run,metric,step,value\n" + b"a,loss,1,0.5\n" * 120_000)

    response = _post(client, project, token, {"file": big})

    assert response.status_code == 413
    assert response.json()["error"] == "“big.csv” is larger than the limit of 1 MB."
    assert not ExperimentImport.objects.exists()


def test_the_api_needs_no_csrf_token(project, token):
    strict = Client(enforce_csrf_checks=True)

    response = _post(strict, project, token)

    assert response.status_code == 202


# --- The OpenAPI document ----------------------------------------------------------------------


def test_the_openapi_document_describes_both_paths(client):
    response = client.get(reverse("api:openapi"))

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/projects/{slug}/imports", "/projects/{slug}/imports/{id}"}
    assert set(document["paths"]["/projects/{slug}/imports"]) == {"post"}
    assert set(document["paths"]["/projects/{slug}/imports/{id}"]) == {"get"}
    assert document["servers"] == [{"url": "http://testserver/api/v1"}]
    responses = document["paths"]["/projects/{slug}/imports"]["post"]["responses"]
    assert set(responses) == {"200", "202", "400", "401", "404", "413"}


def test_every_key_of_an_import_answer_is_in_the_schema(
    client, project, token, django_capture_on_commit_callbacks
):
    schema = client.get(reverse("api:openapi")).json()["components"]["schemas"]["Import"]
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(client, project, token).json()
    status = client.get(created["status_url"], headers=_auth(token)).json()

    for body in (created, status):
        assert set(body) <= set(schema["properties"])
        assert set(schema["required"]) <= set(body)
    assert set(created) | set(status) == set(schema["properties"])
    assert status["status"] in schema["properties"]["status"]["enum"]
