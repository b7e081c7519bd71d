"""Artifacts in the browser: listed on the run page, shown as images or escaped text, served
with types that never run, and readable exactly where their project is."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from projects.artifacts import artifact_store
from projects.selectors import reader_key
from tests.factories import UserFactory, create_project
from tests.tracking.live_runs import live_run

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _store(live, path: str, data: bytes):
    return artifact_store(run=live.run, path=path, stream=io.BytesIO(data))


@pytest.fixture
def run(alice):
    return live_run(create_project(owner=alice, title="Churn model"))


def test_the_run_page_lists_artifacts_and_shows_images(alice_client, run):
    image = _store(run, "plots/loss.png", PNG)
    _store(run, "notes.txt", b"hello")

    page = alice_client.get(run.run.get_absolute_url()).content.decode()

    assert 'data-testid="artifacts"' in page
    assert f'<img class="artifact-thumb" src="{image.file_url()}"' in page
    assert "plots/loss.png" in page
    assert "notes.txt" in page


def test_a_text_artifact_is_shown_escaped(alice_client, run):
    artifact = _store(run, "log.txt", b"<script>alert(1)</script> & more")

    page = alice_client.get(artifact.get_absolute_url()).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<script>alert(1)" not in page


def test_a_json_artifact_is_shown_indented(alice_client, run):
    artifact = _store(run, "config.json", b'{"lr": 0.1, "layers": [1, 2]}')

    page = alice_client.get(artifact.get_absolute_url()).content.decode()

    assert "&quot;lr&quot;: 0.1,\n  &quot;layers&quot;: [\n" in page


def test_an_image_is_served_as_an_image_that_cannot_run(alice_client, run):
    artifact = _store(run, "plot.png", PNG)

    response = alice_client.get(artifact.file_url())

    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("report.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("figure.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("fake.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_html_and_svg_are_only_ever_downloads(alice_client, run, path, data):
    artifact = _store(run, path, data)

    response = alice_client.get(artifact.file_url())

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    page = alice_client.get(artifact.get_absolute_url()).content.decode()
    assert "<script>alert" not in page


def test_a_text_file_is_served_as_plain_text(alice_client, run):
    artifact = _store(run, "notes.md", b"# <b>hi</b>")

    response = alice_client.get(artifact.file_url())

    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.fixture
def cast(alice):
    mentor, other = UserFactory(username="mentor"), UserFactory(username="other")
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=mentor)
    return {"owner": alice, "mentor": mentor, "other": other, "anonymous": None}


READERS = {
    "private": {"owner"},
    "mentors": {"owner", "mentor"},
    "public": {"owner", "mentor", "other", "anonymous"},
}


@pytest.mark.parametrize("visibility", list(READERS))
@pytest.mark.parametrize("role", ["owner", "mentor", "other", "anonymous"])
def test_artifacts_follow_the_projects_visibility(client, alice, cast, visibility, role):
    live = live_run(create_project(owner=alice, visibility=visibility))
    artifact = _store(live, "secret.txt", b"the secret sauce")
    if cast[role] is not None:
        client.force_login(cast[role])

    page = client.get(artifact.get_absolute_url())
    file = client.get(artifact.file_url())

    expected = 200 if role in READERS[visibility] else 404
    assert (page.status_code, file.status_code) == (expected, expected)
    if expected == 404:
        assert b"the secret sauce" not in page.content


def test_the_run_page_with_its_artifacts_is_the_owners_alone(client, run, cast):
    _store(run, "a.txt", b"x")
    for role in ("mentor", "other"):
        client.force_login(cast[role])
        assert client.get(run.run.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(run.run.get_absolute_url()).status_code == 302
    assert reverse("login") in client.get(run.run.get_absolute_url())["Location"]


@pytest.mark.parametrize("visibility", list(READERS))
@pytest.mark.parametrize("role", ["mentor", "other"])
def test_readers_see_the_artifacts_on_the_run_page_through_the_reader_key(
    client, alice, cast, visibility, role
):
    live = live_run(create_project(owner=alice, title="Shared model", visibility=visibility))
    artifact = _store(live, "plots/loss.png", PNG)
    project = live.run.project
    url = reverse("projects:run", args=[reader_key(project), live.run.pk])
    client.force_login(cast[role])

    page = client.get(url)

    if role not in READERS[visibility]:
        assert page.status_code == 404
        assert "plots/loss.png" not in page.text
        return
    assert page.status_code == 200
    assert "plots/loss.png" in page.text
    assert artifact.get_absolute_url() in page.text
    assert client.get(artifact.file_url()).status_code == 200
