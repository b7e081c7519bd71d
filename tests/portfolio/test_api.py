"""The HTTP API: token authentication, uploads, import status and the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from portfolio.api.tokens import token_create, token_revoke
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


def test_the_openapi_document_describes_every_path(client):
    response = client.get(reverse("api:openapi"))

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/projects/{slug}/imports",
        "/projects/{slug}/imports/{id}",
        "/projects/{slug}/imports/{id}/retry",
    }
    assert set(document["paths"]["/projects/{slug}/imports"]) == {"post"}
    assert set(document["paths"]["/projects/{slug}/imports/{id}"]) == {"get"}
    assert set(document["paths"]["/projects/{slug}/imports/{id}/retry"]) == {"post"}
    assert document["servers"] == [{"url": "http://testserver/api/v1"}]
    responses = document["paths"]["/projects/{slug}/imports"]["post"]["responses"]
    assert set(responses) == {"200", "202", "400", "401", "404", "413", "429"}


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


# --- Retries: the same upload, the retry endpoint ---------------------------------------------


def _retry_url(project, imp_id: int) -> str:
    return reverse("api:import-retry", args=[project.slug, imp_id])


def _failed_tensorboard(client, project, token, capture) -> dict:
    """A TensorBoard CSV forced to the wrong format: it fails."""
    with capture(execute=True):
        body = _post(client, project, token, {"file": _file(TB), "format": "jsonl"}).json()
    assert ExperimentImport.objects.get(pk=body["id"]).status == "failed"
    return body


TB = "run-resnet-tag-val_loss.csv"


def test_the_same_bytes_again_run_a_failed_import_again_with_the_new_names(
    client, project, token, django_capture_on_commit_callbacks
):
    failed = _failed_tensorboard(client, project, token, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        again = _post(client, project, token, {"file": _file(TB), "run_name": "resnet-b"})

    assert again.status_code == 202
    assert again.json()["id"] == failed["id"]
    assert again.json()["duplicate"] is False
    body = client.get(again["Location"], headers=_auth(token)).json()
    assert body["status"] == "succeeded"
    assert body["format"] == "tensorboard_csv"
    assert list(project.runs.values_list("name", flat=True)) == ["resnet-b"]
    assert project.imports.count() == 1


def test_the_retry_endpoint_runs_a_failed_import_with_a_new_run_name(
    client, project, token, django_capture_on_commit_callbacks
):
    failed = _failed_tensorboard(client, project, token, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _retry_url(project, failed["id"]),
            {"format": "", "run_name": "resnet-c", "metric_name": "val_loss"},
            headers=_auth(token),
        )

    assert response.status_code == 202
    assert response["Location"] == failed["status_url"]
    body = client.get(failed["status_url"], headers=_auth(token)).json()
    assert (body["status"], body["runs"]) == ("succeeded", 1)
    assert list(project.runs.values_list("name", flat=True)) == ["resnet-c"]
    assert project.imports.count() == 1


def test_retrying_an_import_that_succeeded_answers_409_and_changes_nothing(
    client, project, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = _post(client, project, token).json()

    response = client.post(
        _retry_url(project, created["id"]), {"run_name": "other"}, headers=_auth(token)
    )

    assert response.status_code == 409
    assert "succeeded" in response.json()["error"]
    imp = ExperimentImport.objects.get(pk=created["id"])
    assert (imp.status, imp.run_name) == ("succeeded", "")


def test_retrying_another_users_import_answers_404(client, bob, project, token):
    other = create_project(owner=bob, title="Bob's")
    imp = import_results(other, sample("metrics.jsonl"), process=False)

    response = client.post(_retry_url(other, imp.pk), headers=_auth(token))

    assert response.status_code == 404
    assert response.json() == {"error": "No such import."}


def test_choices_sent_with_an_upload_are_saved_on_the_import(client, project, token):
    choices = {"roles": {"step": "step"}, "date_order": "dmy"}

    response = _post(
        client, project, token, {"file": _file("long.csv"), "choices": json.dumps(choices)}
    )

    assert response.status_code == 202
    saved = ExperimentImport.objects.get(pk=response.json()["id"]).choices
    assert saved["roles"] == {"step": "step"}
    assert saved["date_order"] == "dmy"


@pytest.mark.parametrize(
    "choices",
    ['{"roles": ', '["dmy"]', '{"colour": "blue"}'],
    ids=["not-json", "not-an-object", "unknown-key"],
)
def test_bad_choices_answer_400_and_create_nothing(client, project, token, choices):
    response = _post(client, project, token, {"file": _file(), "choices": choices})

    assert response.status_code == 400
    assert response.json()["error"]
    assert not ExperimentImport.objects.exists()


# --- Every answer under /api/ is JSON ------------------------------------------------------------


def test_an_unknown_api_address_answers_json_404(client, token):
    response = client.get("/api/v1/nothing/here", headers=_auth(token))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "Not found: /api/v1/nothing/here"}


def test_a_wrong_method_answers_json_405(client, project, token):
    response = client.get(_imports_url(project), headers=_auth(token))

    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed; use POST."}
    assert response["Allow"] == "POST"


def test_a_crash_in_the_api_answers_json_500(project, token, monkeypatch):
    from projects import imports

    def crash(**_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(imports, "import_create", crash)
    client = Client(raise_request_exception=False)

    response = _post(client, project, token)

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "internal error" in response.json()["error"]
    assert "boom" not in response.content.decode()


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- Rate limit per token ----------------------------------------------------------------------


def _status(client, project, raw):
    return client.get(reverse("api:import", args=[project.slug, 999]), headers=_auth(raw))


def test_a_token_past_its_rate_limit_gets_429_json_with_retry_after(
    client, alice, project, token, settings, clock
):
    settings.CAIRN_LIMIT_API = (3, 60)
    answers = [_status(client, project, token) for _ in range(3)]
    refused = _status(client, project, token)

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["error"].startswith("Too many requests with this token (at most 3 per")
    assert 1 <= int(refused["Retry-After"]) <= 60
    # An upload is refused too, and nothing is created.
    assert _post(client, project, token).status_code == 429
    assert not ExperimentImport.objects.exists()
    # Another token of the same user has its own allowance.
    other = token_create(user=alice, name="laptop")[1]
    assert _status(client, project, other).status_code == 404

    clock.shift(int(refused["Retry-After"]))
    assert _status(client, project, token).status_code == 404


def test_the_api_keeps_answering_when_the_cache_is_down(client, project, token, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.CAIRN_LIMIT_API = (1, 60)

    answers = [_status(client, project, token).status_code for _ in range(3)]

    assert answers == [404, 404, 404]
