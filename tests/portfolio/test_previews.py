"""Link-preview images of public pages: what the figure shows, and how the image URL answers
before and after its job has rendered it (the rendering itself: tests/browser)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from portfolio.public import previews
from portfolio.public.cache import invalidate
from tests.factories import create_project, import_results, long_csv, save_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(alice):
    alice.profile.is_public = True
    alice.profile.display_name = "Alice Liddell"
    alice.profile.save()
    project = create_project(owner=alice, title="Churn model", visibility="public")
    import_results(
        project,
        ("auc.csv", long_csv({("a", "val/auc"): [0.6, 0.7], ("b", "val/auc"): [0.65, 0.81]})),
    )
    save_revision(project, success_metric="val/auc", success_target=0.8)
    project.refresh_from_db()
    return project


def test_the_project_figure_shows_each_runs_best_and_the_best_so_far(alice, published):
    fig = previews.project_figure(published, alice.profile)

    points, best = fig.data
    assert list(points.y) == [0.7, 0.81]
    assert list(best.y) == [0.7, 0.81]
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>Churn model</b>" in texts
    assert any("Alice Liddell" in t for t in texts)
    assert fig.layout.shapes[0].y0 == 0.8  # the target line


def test_a_project_without_results_says_so(alice):
    project = create_project(owner=alice, title="Fresh idea", visibility="public")

    fig = previews.project_figure(project, alice.profile)

    assert not fig.data
    assert "No results imported yet" in [a.text for a in fig.layout.annotations]


def test_the_image_url_queues_the_job_and_stands_in_a_generic_image(
    client, alice, published, django_capture_on_commit_callbacks
):
    url = reverse("public:project-preview", args=["alice", published.slug])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].endswith("img/preview-default.png")
    assert "max-age=60" in response["Cache-Control"]
    assert len(callbacks) == 1  # render_preview, after the request's transaction


def test_a_rendered_image_is_served_until_the_page_changes(client, alice, published):
    path = previews.preview_path(alice.pk, previews.preview_name(published))
    default_storage.save(path, ContentFile(b"\x89PNG fake"))
    url = reverse("public:project-preview", args=["alice", published.slug])

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == b"\x89PNG fake"
    invalidate(alice.pk)
    assert client.get(url).status_code == 302  # stale: a new one is on its way


@pytest.mark.parametrize("visibility", ["private", "mentors"])
def test_no_image_of_hidden_work(client, alice, visibility):
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(owner=alice, title="Hidden", visibility=visibility)

    response = client.get(reverse("public:project-preview", args=["alice", project.slug]))

    assert response.status_code == 404


def test_no_image_of_a_private_profile(client, alice):
    assert client.get(reverse("public:preview", args=["alice"])).status_code == 404


def test_three_hundred_requests_queue_one_render_per_page_version(
    client, alice, published, django_capture_on_commit_callbacks
):
    url = reverse("public:project-preview", args=["alice", published.slug])

    with django_capture_on_commit_callbacks() as callbacks:
        answers = {client.get(url).status_code for _ in range(300)}

    assert answers == {302}
    assert len(callbacks) == 1
    # A change to the page is a new version, and its image is queued once more.
    invalidate(alice.pk)
    with django_capture_on_commit_callbacks() as more:
        for _ in range(20):
            client.get(url)
    assert len(more) == 1


def test_a_lost_render_is_queued_again_after_a_while(
    client, alice, published, clock, django_capture_on_commit_callbacks
):
    url = reverse("public:project-preview", args=["alice", published.slug])
    with django_capture_on_commit_callbacks() as callbacks:
        client.get(url)
        clock.shift(11 * 60)
        client.get(url)

    assert len(callbacks) == 2


def test_with_the_cache_down_the_stand_in_image_answers_and_nothing_is_queued(
    client, alice, published, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    url = reverse("public:project-preview", args=["alice", published.slug])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].endswith("img/preview-default.png")
    assert callbacks == []
