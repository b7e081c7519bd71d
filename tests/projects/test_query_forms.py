"""Query strings of the chart, compare and stats pages: every bad value is a sentence, never a 500.

The pages' own tests try the common mistakes; these try the odd ones a hand-typed or fuzzed
address carries (digits that are not ASCII, ids too long for the database, repeated keys), on
the owner's and the public endpoints alike, which read the query with the same forms.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from projects.query_forms import ChartCardForm, ChartPointsForm, CompareForm, ResultsForm
from tests.factories import create_project, import_results, long_csv

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def project(alice):
    project = create_project(owner=alice, title="Fraud model", visibility="public")
    import_results(project, ("runs.csv", long_csv({("base", "loss"): [1.0, 0.8, 0.6]})))
    return project


def _run_id(project) -> int:
    return project.runs.get().pk


@pytest.mark.parametrize("runs", ["²", "١", HUGE, "1,-2"])
def test_a_run_id_that_is_not_a_plain_number_is_a_400_card_on_both_endpoints(
    alice_client, client, alice, project, runs
):
    owner = reverse("projects:chart", args=[project.slug])
    public = reverse("public:chart", args=[alice.profile.slug, project.slug])
    for who, url in ((alice_client, owner), (client, public)):
        response = who.get(url, {"metric": "loss", "runs": runs})

        assert response.status_code == 400
        assert "runs must be run ids separated by commas" in unescape(response.text)


def test_the_zoom_data_names_every_mistake_at_once(alice_client, project):
    response = alice_client.get(
        reverse("projects:chart-data", args=[project.slug]),
        {"runs": "x", "smooth": "5", "x0": "1"},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert "Say which metric: metric=KEY." in error
    assert "smooth must be a number from 0 to 0.99." in error
    assert "runs must be run ids" in error
    assert "Give both x0 and x1, or neither." in error


def test_runs_given_twice_and_with_spaces_are_read_once_in_order(project):
    form = ChartCardForm(_query("metric=loss&runs=3, 1&runs=3,2"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["runs"] == [3, 1, 2]


def test_more_runs_than_fit_on_a_chart_are_refused(project):
    form = ChartCardForm(_query("metric=loss&runs=" + ",".join(map(str, range(1, 52)))))

    assert not form.is_valid()
    assert form.message() == "At most 50 runs fit on one chart."


def test_a_zoom_window_on_a_time_axis_reads_plotly_dates_as_utc(project):
    form = ChartPointsForm(
        _query("metric=loss&x=time&x0=2026-01-05 12:00:00&x1=2026-01-05 11:00:00")
    )

    assert form.is_valid(), form.errors
    window = form.cleaned_data["window"]
    assert (window.x1 - window.x0) == 3600
    assert window.x0 == 1767610800  # 11:00 UTC, the smaller bound first


def test_the_charts_page_keeps_the_good_options_beside_a_bad_one(alice_client, project):
    run = _run_id(project)
    response = alice_client.get(
        reverse("projects:results", args=[project.slug]),
        {"metric": "loss", "x": "sideways", "smooth": "0.5", "log": "1", "runs": str(run)},
    )

    assert response.status_code == 200
    text = unescape(response.text)
    assert "x must be “step” or “time”." in text
    assert 'name="smooth" value="0.50"' in text
    assert f"runs={run}&amp;x=step&amp;smooth=0.5&amp;log=1" in response.text


def test_the_charts_page_tells_no_runs_named_from_runs_not_read(project):
    assert ResultsForm(_query("metric=loss")).chosen() is None
    assert ResultsForm(_query("metric=loss&runs=")).chosen() == []
    assert ResultsForm(_query("metric=loss&runs=a")).chosen() is None


@pytest.mark.parametrize("runs", [HUGE, "²"])
def test_compare_refuses_a_run_id_that_is_not_a_plain_number_with_a_400(
    alice_client, project, runs
):
    response = alice_client.get(reverse("projects:compare", args=[project.slug]), {"runs": runs})

    assert response.status_code == 400
    assert "is not a run number: runs are given as 1,2,3." in unescape(response.text)


def test_compare_reads_run_and_runs_and_a_filter_of_several_pairs(project):
    form = CompareForm(_query("run=4&runs=2,4&where=model=augment, lr=0.1&which=best"))

    assert form.is_valid(), form.errors
    choices = form.choices()
    assert choices["run_ids"] == [2, 4]
    assert choices["where"] == [("model", "augment"), ("lr", "0.1")]
    assert choices["which"] == "best"


def test_an_unknown_metric_for_a_direction_changes_nothing(alice_client, project):
    response = alice_client.post(
        reverse("projects:metric-direction", args=[project.slug]),
        {"metric": "nope", "direction": "lower"},
        follow=True,
    )

    project.refresh_from_db()
    assert project.metric_directions == {}
    assert "Pick higher, lower or the guess from the name" in unescape(response.text)


def _query(text: str):
    from django.http import QueryDict

    return QueryDict(text)
