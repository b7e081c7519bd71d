"""Live charts: a card of runs logged through the MLflow API polls for the points it has not
drawn, says live, stale, finished or failed, and stops polling when its runs end."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from django.urls import reverse

from projects.appends import series_fold
from tests.factories import create_project, import_results, long_csv
from tests.tracking.live_runs import append_points, end_run, live_run, series

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Live model", visibility="public")


@pytest.fixture
def run(project):
    live = live_run(project, name="resnet")
    series(live, "loss", [0, 1, 2], [1.0, 0.8, 0.7])
    return live


def _card(client, project, run_ids, metric="loss", public=False):
    query = {"metric": metric, "runs": ",".join(map(str, run_ids))}
    if public:
        url = reverse("public:chart", args=[project.owner.profile.slug, project.slug])
    else:
        url = reverse("projects:chart", args=[project.slug])
    return client.get(url, query).content.decode()


def _badge(page: str) -> re.Match | None:
    return re.search(r'<span class="badge live-state is-(\w+)"[^>]*>([^<]*)</span>', page)


def _poll_url(page: str) -> str:
    return html.unescape(re.search(r'hx-get="([^"]*/chart/live/[^"]*)"', page).group(1))


def _payload(page: str) -> dict | None:
    found = re.search(r'data-live="([^"]*)"', page)
    return json.loads(html.unescape(found.group(1))) if found else None


def test_a_running_runs_chart_says_live_and_polls_every_second(alice_client, project, run):
    page = _card(alice_client, project, [run.run_id])

    badge = _badge(page)
    assert badge.group(1) == "live"
    assert 'hx-trigger="every 1s"' in page
    assert "after=0" in _poll_url(page)


def test_a_poll_brings_only_the_points_logged_since_the_last_one(alice_client, project, run):
    page = _card(alice_client, project, [run.run_id])
    append_points(run, "loss", [3, 4], [0.6, 0.5])
    append_points(run, "acc", [3, 4], [0.6, 0.7])

    first = alice_client.get(_poll_url(page))
    assert first.status_code == 200
    body = first.content.decode()
    assert _payload(body) == {
        "mode": "extend",
        "runs": {str(run.run_id): {"x": [3, 4], "y": [0.6, 0.5]}},
    }
    assert _badge(body).group(1) == "live"

    second = alice_client.get(_poll_url(body)).content.decode()
    assert _payload(second) is None
    append_points(run, "loss", [5], [0.45])
    third = alice_client.get(_poll_url(second)).content.decode()
    assert _payload(third)["runs"][str(run.run_id)] == {"x": [5], "y": [0.45]}


def test_on_a_wall_time_chart_new_points_come_with_their_times(alice_client, project, run):
    page = _card(alice_client, project, [run.run_id], metric="loss")
    url = _poll_url(page).replace("x=step", "x=time")
    append_points(run, "loss", [3], [0.6], times_ms=[1_764_331_200_000])

    body = alice_client.get(url).content.decode()

    assert _payload(body)["runs"][str(run.run_id)]["x"] == ["2025-11-28T12:00:00.000"]


def test_when_the_run_finishes_the_chart_is_drawn_whole_and_stops_polling(
    alice_client, project, run
):
    page = _card(alice_client, project, [run.run_id])
    end_run(run, "FINISHED")

    response = alice_client.get(_poll_url(page))

    assert response.status_code == 286
    body = response.content.decode()
    assert _badge(body).groups() == ("finished", "finished")
    assert "hx-get" not in body
    payload = _payload(body)
    assert payload["mode"] == "replace"
    assert payload["data"][0]["y"] == [1.0, 0.8, 0.7]


def test_a_failed_run_shows_as_failed_without_polling(alice_client, project, run):
    end_run(run, "FAILED")

    page = _card(alice_client, project, [run.run_id])

    assert _badge(page).groups() == ("failed", "failed")
    assert "/chart/live/" not in page


def test_a_run_without_a_point_for_the_stale_time_shows_as_stale(
    alice_client, project, run, settings, clock
):
    settings.CAIRN_LIVE_STALE_SECONDS = 60
    append_points(run, "loss", [3], [0.6])
    clock.shift(datetime.timedelta(seconds=61))

    page = _card(alice_client, project, [run.run_id])

    assert _badge(page).group(1) == "stale"
    assert 'hx-trigger="every 5s"' in page


def test_an_imported_run_has_no_live_badge(alice_client, project):
    import_results(project, ("r.csv", long_csv({("r1", "loss"): [1.0, 0.5]})))
    imported = project.runs.get()

    page = _card(alice_client, project, [imported.pk])

    assert "live-state" not in page


def test_the_public_chart_of_a_public_project_is_live_for_visitors(client, alice, project, run):
    alice.profile.is_public = True
    alice.profile.save()
    page = _card(client, project, [run.run_id], public=True)
    append_points(run, "loss", [3], [0.6])

    assert _badge(page).group(1) == "live"
    assert "/u/" in _poll_url(page)
    body = client.get(_poll_url(page)).content.decode()
    assert _payload(body)["runs"][str(run.run_id)]["y"] == [0.6]


def test_the_live_poll_answers_only_where_the_project_is_visible(client, alice, bob):
    private = create_project(owner=alice, visibility="private")
    live = live_run(private)
    series(live, "loss", [0, 1], [1.0, 0.5])
    query = f"metric=loss&runs={live.run_id}&after=0&card=chart-000000000000"
    owner_url = reverse("projects:chart-live", args=[private.slug]) + "?" + query
    public_url = reverse("public:chart-live", args=[alice.profile.slug, private.slug]) + "?" + query

    client.force_login(bob)
    assert client.get(owner_url).status_code == 404
    assert client.get(public_url).status_code == 404
    client.logout()
    assert client.get(public_url).status_code == 404
    client.force_login(alice)
    assert client.get(owner_url).status_code == 200


def test_runs_of_another_project_in_the_query_tell_nothing(alice_client, alice, bob, project):
    theirs = live_run(create_project(owner=bob))
    append_points(theirs, "loss", [0], [0.123])
    url = reverse("projects:chart-live", args=[project.slug])

    body = alice_client.get(
        url, {"metric": "loss", "runs": theirs.run_id, "after": 0, "card": "chart-000000000000"}
    ).content.decode()

    assert "0.123" not in body
    assert _payload(body) is None


def test_points_folded_into_the_series_between_two_polls_are_not_lost(alice_client, project, run):
    page = _card(alice_client, project, [run.run_id])
    append_points(run, "loss", [3, 4], [0.6, 0.5], times_ms=[1_764_331_200_000] * 2)
    series_fold(run_id=run.run_id)  # the rows after the page's cursor are gone now

    body = alice_client.get(_poll_url(page)).content.decode()

    payload = _payload(body)
    assert payload["mode"] == "replace"
    assert payload["data"][0]["y"] == [1.0, 0.8, 0.7, 0.6, 0.5]
    append_points(run, "loss", [5], [0.4])
    after = alice_client.get(_poll_url(body)).content.decode()
    assert _payload(after) == {"mode": "extend", "runs": {str(run.run_id): {"x": [5], "y": [0.4]}}}
