"""Names are text: long and odd file names are kept under a safe name on disk and shown as
uploaded; a name too long for the request to be read gets the form's page with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolio.api.tokens import token_create
from projects.imports import MAX_STORED_NAME_BYTES, shown_name, stored_name
from projects.models import ExperimentImport, ImportFile, ImportStatus, Run
from tests.factories import create_project

pytestmark = pytest.mark.django_db

CSV = b"run,step,loss\nbaseline,1,0.5\nbaseline,2,0.4\n"
LONG_NON_ASCII = "訓練ログ_" * 30 + "最終.csv"  # 152 characters, 452 bytes


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Churn model")


def _upload_url(project) -> str:
    return reverse("projects:import-upload", args=[project.slug])


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(LONG_NON_ASCII, id="non-ascii-452-bytes"),
        pytest.param("r" * 250 + ".csv", id="254-characters"),
        pytest.param("<img src=x onerror=alert(1)>.csv", id="markup"),
    ],
)
def test_a_long_or_odd_file_name_is_imported_and_shown_as_uploaded(
    alice_client, project, name, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(_upload_url(project), {"files": SimpleUploadedFile(name, CSV)})

    imp = ExperimentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == imp.get_absolute_url()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    assert imp.original_name == name
    record = ImportFile.objects.get()
    assert record.original_name == name
    assert len(Path(record.file.name).name.encode()) <= MAX_STORED_NAME_BYTES
    assert Run.objects.filter(project=project).count() == 1
    page = alice_client.get(imp.get_absolute_url())
    assert page.status_code == 200
    assert "<img src=x" not in page.text


def test_the_stored_name_keeps_short_names_and_the_extension_of_long_ones():
    assert stored_name("events.out.tfevents.1700000000.host.1.0") == (
        "events.out.tfevents.1700000000.host.1.0"
    )
    assert stored_name("../../etc/passwd") == "passwd"
    assert stored_name("..") == "upload"
    odd = stored_name("loss\u202e\tvsc.csv")
    assert odd.isprintable() and odd.endswith(".csv")
    long = stored_name(LONG_NON_ASCII)
    assert long.endswith(".csv")
    assert long.startswith("訓練ログ_")
    assert len(long.encode()) <= MAX_STORED_NAME_BYTES
    assert stored_name(LONG_NON_ASCII + "x") != stored_name(LONG_NON_ASCII)


def test_a_name_past_the_column_is_shortened_in_the_middle():
    name = "a" * 400 + ".csv"

    shown = shown_name(name)

    assert len(shown) == 255
    assert shown.startswith("aaa") and shown.endswith("a.csv") and "…" in shown


def test_a_file_name_too_long_to_read_gets_the_forms_page_with_the_reason(alice_client, project):
    boundary = "cairnboundary"
    name = "n" * 10_000 + ".csv"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + CSV
        + f"\r\n--{boundary}--\r\n".encode()
    )
    back = f"http://testserver{project.get_absolute_url()}"

    response = alice_client.generic(
        "POST",
        _upload_url(project),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Referer": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    page = alice_client.get(response["Location"])
    assert "The form could not be read: a file name (or a field) is too long." in page.text
    assert not ExperimentImport.objects.exists()

    # Without a page to go back to, the site's own 400 page says the same.
    bare = alice_client.generic(
        "POST",
        _upload_url(project),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert bare.status_code == 400
    assert "The form could not be read" in bare.text
    assert "<title>" in bare.text


def test_a_run_name_of_ten_thousand_characters_gets_a_message_and_creates_nothing(
    alice_client, project
):
    response = alice_client.post(
        _upload_url(project),
        {"files": SimpleUploadedFile("ok.csv", CSV), "run_name": "r" * 10_000},
        follow=True,
    )

    assert response.status_code == 200
    assert "The run name is 10,000 characters long; at most 200 fit." in response.text
    assert not ExperimentImport.objects.exists()


def test_the_api_keeps_a_long_non_ascii_name_as_uploaded(client, alice, project):
    raw = token_create(user=alice, name="cluster")[1]

    response = client.post(
        reverse("api:imports", args=[project.slug]),
        {"file": SimpleUploadedFile(LONG_NON_ASCII, CSV)},
        headers={"Authorization": f"Bearer {raw}"},
    )

    assert response.status_code == 202
    assert response.json()["file_name"] == LONG_NON_ASCII
