"""A metric first logged while a page of charts is open: the run page, the Charts page and the
public page each poll for metrics their live runs begin to log, and get a chart slot for each
new one (appended out of band), once, until the runs end."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests.factories import create_project
from tests.tracking.live_runs import end_run, live_run, series

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    alice.profile.is_public = True
    alice.profile.save()
    return create_project(owner=alice, title="Live model", visibility="public")


@pytest.fixture
def run(project):
    live = live_run(project, name="resnet")
    series(live, "loss", [0, 1, 2], [1.0, 0.8, 0.7])
    return live


def _watch_url(page: str) -> str:
    found = re.search(r'class="live-keys"[^>]*hx-get="([^"]*)"', page)
    assert found, "the page does not watch for new metrics"
    return html.unescape(found.group(1))


def _new_slots(body: str) -> list[tuple[str, str]]:
    """(where the slot goes, its metric) for each slot answered out of band."""
    return re.findall(
        r'hx-swap-oob="beforeend:#([-\w]+)">.*?data-chart-key="([^"]*)"', body, flags=re.S
    )


def test_the_run_page_gets_a_chart_for_a_metric_the_run_begins_to_log(alice_client, project, run):
    page = alice_client.get(run.run.get_absolute_url()).content.decode()
    url = _watch_url(page)
    assert alice_client.get(url).status_code == 200
    assert _new_slots(alice_client.get(url).content.decode()) == []

    series(run, "val_loss", [5], [0.9])
    body = alice_client.get(url).content.decode()

    assert _new_slots(body) == [("run-charts", "val_loss")]
    assert 'id="metric-val_loss"' in body
    assert "metric=val_loss" in body and f"runs={run.run_id}" in body
    # The next poll starts past it: the chart is added once.
    assert _new_slots(alice_client.get(_watch_url(body)).content.decode()) == []


def test_a_run_page_without_any_metric_yet_watches_for_its_first(alice_client, project):
    fresh = live_run(project, name="warming up")
    page = alice_client.get(fresh.run.get_absolute_url()).content.decode()
    assert "charts appear here as it logs" in page

    series(fresh, "loss", [0], [1.0])

    assert _new_slots(alice_client.get(_watch_url(page)).content.decode()) == [
        ("run-charts", "loss")
    ]


def test_the_watch_stops_when_the_run_ends(alice_client, project, run):
    page = alice_client.get(run.run.get_absolute_url()).content.decode()
    series(run, "val_loss", [5], [0.9])
    end_run(run)

    response = alice_client.get(_watch_url(page))

    assert response.status_code == 286
    body = response.content.decode()
    # Logged before it ended: still added, then no more polling.
    assert _new_slots(body) == [("run-charts", "val_loss")]
    assert "hx-get" not in body.split("hx-swap-oob")[0]
    assert "live-keys" not in alice_client.get(run.run.get_absolute_url()).content.decode()


def test_the_charts_page_adds_small_charts_only_for_keys_it_lacks(alice_client, project, run):
    other = live_run(project, name="vit")
    series(other, "loss", [0, 1], [1.2, 0.9])
    url = reverse("projects:results", args=[project.slug])
    page = alice_client.get(url, {"metric": "loss", "runs": f"{run.run_id},{other.run_id}"})
    watch = _watch_url(page.content.decode())

    series(other, "acc", [0], [0.5])  # new to the page
    body = alice_client.get(watch).content.decode()

    assert _new_slots(body) == [("chart-others", "acc")]
    assert "size=small" in body
    series(run, "acc", [0], [0.4])  # the page has an acc chart now
    assert _new_slots(alice_client.get(_watch_url(body)).content.decode()) == []


def test_the_public_page_adds_a_chart_while_it_has_room(client, alice, project, run):
    page = client.get(reverse("public:project", args=[alice.profile.slug, project.slug]))
    watch = _watch_url(page.content.decode())
    assert "/u/" in watch and "room=3" in watch

    for key in ("a", "b", "c", "d"):
        series(run, key, [0, 1], [0.1, 0.2])
    response = client.get(watch)

    assert [key for _, key in _new_slots(response.content.decode())] == ["a", "b", "c"]
    assert {where for where, _ in _new_slots(response.content.decode())} == {"public-charts"}
    assert "/u/" in response.content.decode()
    # The page is full: the watch stops.
    assert response.status_code == 286


def test_only_readers_of_the_project_can_watch_it(client, alice, bob):
    private = create_project(owner=alice, title="Hidden", visibility="private")
    live = live_run(private)
    series(live, "secret_metric", [0], [1.0])
    query = {"runs": live.run_id, "after": 0}
    owner_url = reverse("projects:chart-keys", args=[private.slug])
    public_url = reverse("public:chart-keys", args=[alice.profile.slug, private.slug])

    client.force_login(bob)
    assert client.get(owner_url, {**query, "layout": "run"}).status_code == 404
    assert client.get(public_url, {**query, "layout": "public"}).status_code == 404
    client.logout()
    assert client.get(public_url, {**query, "layout": "public"}).status_code == 404
    client.force_login(alice)
    body = client.get(owner_url, {**query, "layout": "run"}).content.decode()
    assert _new_slots(body) == [("run-charts", "secret_metric")]


def test_runs_of_another_project_in_the_query_tell_nothing(alice_client, bob, project):
    theirs = live_run(create_project(owner=bob))
    series(theirs, "their_metric", [0], [0.123])
    url = reverse("projects:chart-keys", args=[project.slug])

    response = alice_client.get(url, {"runs": theirs.run_id, "after": 0, "layout": "run"})

    assert "their_metric" not in response.content.decode()
    assert response.status_code == 286


def test_a_bad_query_is_a_400_that_says_what_to_write(alice_client, project):
    url = reverse("projects:chart-keys", args=[project.slug])

    response = alice_client.get(url, {"layout": "sideways", "after": "x"})

    assert response.status_code == 400
    assert "layout says where" in response.content.decode()
