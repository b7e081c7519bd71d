"""A current mentor reads a shared project's results read-only, by the project's reader key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from projects.selectors import reader_key
from tests.factories import UserFactory, create_project, import_results, long_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    project = create_project(owner=alice, title="Churn model", visibility="mentors")
    series = {
        (f"{group}-seed{seed}", "val/auc"): [0.5, 0.6 + seed / 100 + (group == "augment") / 10]
        for group in ("baseline", "augment")
        for seed in (1, 2, 3)
    }
    imp = import_results(project, ("runs.csv", long_csv(series)))
    return {"alice": alice, "bob": bob, "project": project, "import": imp}


def _get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


def test_the_mentor_reads_the_runs_with_links_that_stay_on_the_readers_routes(client, cast):
    key = reader_key(cast["project"])
    page = _get(client, cast["bob"], "projects:runs", key).content.decode()

    run = cast["project"].runs.get(name="baseline-seed1")
    assert f'href="/projects/{key}/runs/{run.pk}/"' in page
    assert f'href="/projects/{key}/results/"' in page
    assert "/projects/churn-model/" not in page


def test_the_mentor_sees_no_write_on_the_result_pages(client, cast):
    key, imp = reader_key(cast["project"]), cast["import"]
    run = cast["project"].runs.get(name="baseline-seed1")
    pages = [
        _get(client, cast["bob"], "projects:import", key, imp.pk),
        _get(client, cast["bob"], "projects:run", key, run.pk),
        _get(client, cast["bob"], "projects:stats", key, metric="val/auc"),
        _get(client, cast["bob"], "projects:results", key, metric="val/auc"),
        _get(client, cast["bob"], "projects:compare", key),
    ]

    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        for write in ("Delete this import", "/delete/", "/stats/direction/", "Read again"):
            assert write not in body, (response.request["PATH_INFO"], write)
        assert 'enctype="multipart/form-data"' not in body


def test_the_owner_keeps_her_writes_on_the_same_pages(client, cast):
    slug, imp = cast["project"].slug, cast["import"]
    body = _get(client, cast["alice"], "projects:import", slug, imp.pk).content.decode()
    stats = _get(client, cast["alice"], "projects:stats", slug, metric="val/auc").content.decode()

    assert "Delete this import" in body
    assert "/stats/direction/" in stats


def test_the_chart_slots_of_a_mentor_ask_the_readers_chart_endpoints(client, cast):
    key = reader_key(cast["project"])
    page = _get(client, cast["bob"], "projects:results", key, metric="val/auc").content.decode()

    assert f'hx-get="/projects/{key}/results/chart/?' in page
    card = client.get(f"/projects/{key}/results/chart/", {"metric": "val/auc", "runs": ""})
    assert card.status_code in (200, 400)


def test_the_review_page_leads_a_mentor_to_the_results(client, cast):
    project = cast["project"]
    client.force_login(cast["bob"])
    url = reverse("mentoring:project", args=[cast["alice"].profile.slug, project.slug])

    page = client.get(url).content.decode()

    assert f'href="/projects/{reader_key(project)}/results/"' in page


def test_the_project_by_its_reader_key_sends_the_mentor_to_its_review_page(client, cast):
    project = cast["project"]
    response = _get(client, cast["bob"], "projects:detail", reader_key(project))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "mentoring:project", args=[cast["alice"].profile.slug, project.slug]
    )
