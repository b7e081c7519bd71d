"""Artifacts on the public pages: a public project's page lists the files its shown runs
logged (images inline, text and JSON on a page of their own), served as the owner's pages serve
them, and only where the public page itself may be read."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from projects.artifacts import artifact_store
from projects.models import Run
from tests.factories import create_project
from tests.tracking.live_runs import live_run, series

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _store(live, path: str, data: bytes):
    return artifact_store(run=live.run, path=path, stream=io.BytesIO(data))


@pytest.fixture
def public_run(alice):
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(
        owner=alice, title="Vision model", visibility="public", success_metric="acc"
    )
    live = live_run(project, name="resnet")
    series(live, "acc", [0, 1], [0.5, 0.9])
    return live


def _page(client, live) -> str:
    project = live.run.project
    url = reverse("public:project", args=[project.owner.profile.slug, project.slug])
    return client.get(url).content.decode()


def _url(name: str, artifact, *more) -> str:
    project = artifact.run.project
    return reverse(
        f"public:{name}", args=[project.owner.profile.slug, project.slug, artifact.pk, *more]
    )


def test_the_public_page_lists_a_shown_runs_artifacts_with_images_inline(client, public_run):
    image = _store(public_run, "plots/confusion.png", PNG)
    notes = _store(public_run, "metrics.json", b'{"acc": 0.9}')

    page = _page(client, public_run)

    assert 'data-testid="public-artifacts"' in page
    assert f'<img class="artifact-thumb" src="{_url("artifact-file", image, image.name)}"' in page
    assert f'href="{_url("artifact", notes)}"' in page
    assert "Run resnet" in page
    # Never the owner's addresses: a visitor follows the public ones.
    assert image.get_absolute_url() not in page


def test_an_artifact_logged_later_shows_on_the_cached_page(client, public_run):
    assert "public-artifacts" not in _page(client, public_run)

    _store(public_run, "late.txt", b"after the first visit")

    assert "late.txt" in _page(client, public_run)


def test_the_public_viewer_shows_json_indented_and_text_escaped(client, public_run):
    data = _store(public_run, "metrics.json", b'{"acc": 0.9}')
    text = _store(public_run, "log.txt", b"<script>alert(1)</script>")

    json_page = client.get(_url("artifact", data)).content.decode()
    text_page = client.get(_url("artifact", text)).content.decode()

    assert "&quot;acc&quot;: 0.9" in json_page and "is-json" in json_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text_page
    assert "<script>alert(1)" not in text_page
    assert reverse("public:project", args=["alice", "vision-model"]) in text_page


def test_public_files_are_served_safely(client, public_run):
    image = _store(public_run, "loss.png", PNG)
    text = _store(public_run, "log.txt", b"hello")
    page = _store(public_run, "figure.html", b"<script>alert(1)</script>")

    shown = client.get(_url("artifact-file", image, image.name))
    read = client.get(_url("artifact-file", text, text.name))
    kept = client.get(_url("artifact-file", page, page.name))

    assert shown["Content-Type"] == "image/png"
    assert read["Content-Type"] == "text/plain; charset=utf-8"
    assert kept["Content-Type"] == "application/octet-stream"
    assert kept["Content-Disposition"].startswith("attachment")
    for response in (shown, read, kept):
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize("visibility", ["private", "mentors"])
def test_artifacts_of_work_that_is_not_public_answer_404_to_everyone(
    client, alice, bob, visibility
):
    alice.profile.is_public = True
    alice.profile.save()
    hidden = live_run(create_project(owner=alice, title="Hidden", visibility=visibility))
    artifact = _store(hidden, "secret.txt", b"secret")

    for who in (None, bob, alice):
        if who is not None:
            client.force_login(who)
        assert client.get(_url("artifact", artifact)).status_code == 404
        assert client.get(_url("artifact-file", artifact, artifact.name)).status_code == 404


def test_a_deleted_runs_artifacts_are_neither_listed_nor_served(client, public_run):
    artifact = _store(public_run, "notes.txt", b"notes")
    Run.objects.filter(pk=public_run.run_id).update(deleted_at="2026-01-01T00:00:00Z")

    assert "notes.txt" not in _page(client, public_run)
    assert client.get(_url("artifact", artifact)).status_code == 404
    assert client.get(_url("artifact-file", artifact, artifact.name)).status_code == 404


def test_an_artifact_is_not_reached_through_another_public_project(client, alice, public_run):
    other = create_project(owner=alice, title="Other public", visibility="public")
    hidden = live_run(create_project(owner=alice, title="Hidden", visibility="private"))
    artifact = _store(hidden, "secret.txt", b"secret")

    url = reverse("public:artifact", args=[alice.profile.slug, other.slug, artifact.pk])

    assert client.get(url).status_code == 404


def test_a_run_with_many_artifacts_shows_the_first_dozen_and_says_how_many_more(client, public_run):
    for i in range(14):
        _store(public_run, f"epoch-{i:02}.txt", b"x")

    page = _page(client, public_run)

    assert page.count('data-testid="artifact"') == 12
    assert "epoch-11.txt" in page and "epoch-12.txt" not in page
    assert "and 2 more files of this run." in page
