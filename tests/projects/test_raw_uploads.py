"""A result file sent as the request body itself (the upload page's script, `curl
--data-binary`, the API): stored, hashed and imported like a form's file, or refused with
a reason and nothing kept, for every role."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from portfolio.api.tokens import token_create
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from projects.models import ExperimentImport
from tests.factories import create_project, sample

pytestmark = pytest.mark.django_db

CSV = b"run,metric,step,value\nbaseline,loss,0,0.9\nbaseline,loss,1,0.7\n"


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Sweep")


def _url(project, **query) -> str:
    base = reverse("projects:import-upload", args=[project.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _send(client, url: str, body: bytes, content_type: str = "text/csv", **headers):
    return client.generic("POST", url, body, content_type=content_type, **headers)


def _stored(imp: ExperimentImport) -> bytes:
    record = imp.files.get()
    return Path(settings.MEDIA_ROOT, record.file.name).read_bytes()


def _media_files() -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def test_the_body_becomes_an_import_with_its_name_sha256_and_bytes(alice_client, project):
    response = _send(alice_client, _url(project, name="metrics.csv"), CSV)

    imp = project.imports.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": imp.pk,
        "name": "metrics.csv",
        "url": imp.get_absolute_url(),
        "duplicate": False,
    }
    assert imp.sha256 == hashlib.sha256(CSV).hexdigest()
    assert imp.files.get().original_name == "metrics.csv"
    assert _stored(imp) == CSV
    assert imp.uploaded_by.username == "alice"


def test_a_large_body_is_hashed_and_stored_whole(alice_client, project, settings, tmp_path):
    # Over the in-memory limit and many chunks long: the temporary file, hashed on its thread,
    # moved into place (none is left behind).
    settings.CAIRN_MAX_UPLOAD_BYTES = 40_000_000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    rows = b"".join(b"r%d,loss,%d,%f\n" % (i % 7, i, 1 / (i + 1)) for i in range(600_000))
    body = b"run,metric,step,value\n" + rows
    assert len(body) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    response = _send(alice_client, _url(project, name="sweep.csv"), body)

    imp = project.imports.get()
    assert response.status_code == 201
    assert imp.sha256 == hashlib.sha256(body).hexdigest()
    assert _stored(imp) == body
    assert list(tmp_path.iterdir()) == []


def test_the_path_in_the_name_names_the_run_and_the_query_carries_the_form(
    alice_client, project, django_capture_on_commit_callbacks
):
    lightning = b"epoch,step,loss\n0,9,0.9\n1,19,0.7\n"
    url = _url(project, name="lightning_logs/version_7/metrics.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(alice_client, url, lightning)

    assert response.status_code == 201
    assert response.json()["name"] == "lightning_logs/version_7/metrics.csv"
    assert project.runs.get().name == "version_7"


def test_a_content_disposition_filename_names_it_too(alice_client, project):
    disposition = 'attachment; filename="eval run.csv"'
    response = _send(alice_client, _url(project), CSV, HTTP_CONTENT_DISPOSITION=disposition)

    assert response.status_code == 201
    assert project.imports.get().original_name == "eval run.csv"


def test_the_same_bytes_again_answer_the_first_import(alice_client, project):
    first = _send(alice_client, _url(project, name="metrics.csv"), CSV).json()

    again = _send(alice_client, _url(project, name="copy.csv"), CSV)

    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert project.imports.count() == 1


@pytest.mark.parametrize(
    ("query", "body", "status", "error"),
    [
        pytest.param({}, CSV, 400, "Give the file's name", id="no-name"),
        pytest.param({"name": "metrics.csv"}, b"", 400, "The body is empty", id="empty"),
        pytest.param(
            {"name": "metrics.csv", "format": "nonsense"}, CSV, 400, "format", id="bad-format"
        ),
    ],
)
def test_a_bad_raw_upload_says_why_and_keeps_nothing(
    alice_client, project, query, body, status, error
):
    before = _media_files()

    response = _send(alice_client, _url(project, **query), body)

    assert response.status_code == status
    assert error in response.json()["error"]
    assert not ExperimentImport.objects.exists()
    assert _media_files() == before


def test_a_body_over_the_file_limit_is_stopped_while_read_and_nothing_kept(
    alice_client, project, settings
):
    # Within the request limit (the file limit and a form's margin), so the early check by
    # Content-Length lets it in; the handlers stop it as it passes the file limit.
    settings.CAIRN_MAX_UPLOAD_BYTES = 1000
    body = CSV + b"baseline,loss,2,0.5\n" * 200
    before = _media_files()

    response = _send(alice_client, _url(project, name="big.csv"), body)

    assert _media_files() == before
    assert response.status_code == 413
    assert response.json()["error"] == "“big.csv” is larger than the limit of 0.001 MB."
    assert not ExperimentImport.objects.exists()


@pytest.mark.parametrize("route", ["page", "api"])
def test_a_body_that_ends_before_its_length_is_not_imported(client, alice, project, route):
    # The connection closed part way (a closed tab, a dropped network): the server sees fewer
    # bytes than Content-Length announced. A part of a file is never imported as the file.
    body = CSV + b"baseline,loss,2,0.5\n" * 1000
    part = body[: len(body) // 3]
    if route == "page":
        client.force_login(alice)
        url, auth = _url(project, name="metrics.csv"), {}
    else:
        url = reverse("api:imports", args=[project.slug]) + "?name=metrics.csv"
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=alice, name='ci')[1]}"}
    before = _media_files()

    response = client.generic(
        "POST", url, content_type="text/csv",
        **{"wsgi.input": io.BytesIO(part), "CONTENT_LENGTH": str(len(body))}, **auth,
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"] == (
        f"The upload stopped after {len(part) / 1e6:.3g} MB of {len(body) / 1e6:.3g} MB: "
        "nothing was stored. Send it again."
    )
    assert not ExperimentImport.objects.exists()
    assert _media_files() == before


def test_without_the_csrf_header_a_signed_in_raw_upload_is_refused(alice, project):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)

    refused = _send(strict, _url(project, name="metrics.csv"), CSV)
    strict.get(project.get_absolute_url())  # the page sets the CSRF cookie its script sends
    token = strict.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = _send(strict, _url(project, name="metrics.csv"), CSV, HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert project.imports.count() == 1


@pytest.mark.parametrize("who", ["other user", "mentor", "anonymous"])
def test_nobody_but_the_owner_can_send_one(alice, bob, who):
    project = create_project(owner=alice, title="Shared", visibility="mentors")
    _, invitation = mentorship_invite(engineer=alice)
    mentorship_accept(token=invitation, mentor=bob)
    carol = get_user_model().objects.create_user("carol", password="a long password 123")
    client = Client()
    if who != "anonymous":
        client.force_login(bob if who == "mentor" else carol)

    response = _send(client, _url(project, name="metrics.csv"), CSV)

    assert response.status_code in (302, 404)
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not ExperimentImport.objects.exists()


# --- The API ---------------------------------------------------------------------------------


def test_the_api_takes_the_body_as_the_file_with_choices_in_the_query(client, alice, project):
    raw = token_create(user=alice, name="cluster")[1]
    data = sample("metrics.jsonl").read_bytes()
    url = reverse("api:imports", args=[project.slug]) + "?name=metrics.jsonl&delimiter=,"

    response = client.generic(
        "POST",
        url,
        data,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    imp = project.imports.get()
    body = response.json()
    assert response.status_code == 202
    assert (body["file_name"], body["sha256"], body["size"]) == (
        "metrics.jsonl",
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert imp.choices["delimiter"] == ","


def test_the_api_says_how_to_name_a_raw_body(client, alice, project):
    raw = token_create(user=alice, name="cluster")[1]

    response = client.generic(
        "POST",
        reverse("api:imports", args=[project.slug]),
        CSV,
        content_type="text/csv",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 400
    assert "?name=" in response.json()["error"]
    assert not ExperimentImport.objects.exists()
