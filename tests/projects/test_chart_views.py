"""The charts of results: the results page, the lazy chart fragment, the zoom data, the run page."""

from __future__ import annotations

import json
import math
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from projects.models import Run
from tests.factories import create_project, import_results, long_csv, sample, save_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Fraud model")


@pytest.fixture
def runs(project) -> dict[str, Run]:
    """Three runs with a loss (lower is better) and an accuracy, one with a gap."""
    imp = import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    ("base", "loss"): [1.0, 0.8, 0.6, 0.5],
                    ("base", "acc"): [0.5, 0.6, 0.7, 0.72],
                    ("wide", "loss"): [1.0, 0.7, "nan", 0.3],
                    ("wide", "acc"): [0.5, 0.7, 0.8, 0.85],
                    ("tiny", "loss"): [1.2, 1.1, 1.0, 0.9],
                }
            ),
        ),
    )
    return {run.name: run for run in imp.runs.all()}


def _chart_url(project, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('projects:chart', args=[project.slug])}?{query}"


def _data_url(project, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('projects:chart-data', args=[project.slug])}?{query}"


def _figure(response) -> dict:
    (payload,) = re.findall(
        r'<script id="figure-chart-[0-9a-f]+" type="application/json">(.*?)</script>',
        response.text,
        re.S,
    )
    return json.loads(payload)


def _slots(response) -> list[dict]:
    """The lazy chart slots of a page: their metric and query, in page order."""
    urls = re.findall(
        r'<section class="card chart-card chart-slot[^"]*" hx-get="([^"]+)"', response.text
    )
    slots = []
    for url in urls:
        query = parse_qs(urlsplit(unescape(url)).query)
        slots.append({k: v[0] for k, v in query.items()})
    return slots


# --- The chart fragment ---------------------------------------------------------------------------


def test_the_fragment_draws_the_chosen_runs_of_one_metric(alice_client, project, runs):
    ids = f"{runs['base'].pk},{runs['wide'].pk}"

    response = alice_client.get(
        _chart_url(project, metric="loss", runs=ids), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    figure = _figure(response)
    assert [t["name"] for t in figure["data"]] == ["base", "wide"]
    assert figure["data"][1]["y"] == [1.0, 0.7, None, 0.3]
    assert '<h3 class="chart-title">loss</h3>' in response.text
    assert "data-zoom-url=" in response.text
    assert "NaN" not in response.text


def test_the_fragment_smooths_and_uses_a_log_scale_when_asked(alice_client, project, runs):
    response = alice_client.get(
        _chart_url(project, metric="loss", runs=runs["base"].pk, smooth="0.5", log="1")
    )

    figure = _figure(response)
    raw, smooth = figure["data"]
    assert raw["opacity"] < 0.5
    assert smooth["y"] == pytest.approx([1.0, 0.9, 0.75, 0.625])
    assert figure["layout"]["yaxis"]["type"] == "log"


def test_the_fragment_draws_the_projects_target_on_its_metric(alice_client, project, runs):
    save_revision(project, success_metric="acc", success_target=0.8, success_direction="higher")

    acc = _figure(alice_client.get(_chart_url(project, metric="acc", runs=runs["wide"].pk)))
    loss = _figure(alice_client.get(_chart_url(project, metric="loss", runs=runs["wide"].pk)))

    assert acc["data"][-1]["y"] == [0.8, 0.8]
    assert acc["data"][-1]["line"]["dash"] == "dash"
    assert len(loss["data"]) == 1


def test_the_fragment_says_so_when_no_chosen_run_has_the_metric(alice_client, project, runs):
    response = alice_client.get(_chart_url(project, metric="loss", runs="999999"))

    assert response.status_code == 200
    assert "None of the chosen runs has a metric “loss”." in response.text
    assert 'type="application/json"' not in response.text


def test_the_fragment_leaves_out_runs_of_another_project(alice_client, bob, project, runs):
    other = create_project(owner=bob, title="Bob's")
    bobs_run = import_results(other, ("b.csv", long_csv({("bob-run", "loss"): [9, 9]}))).runs.get()

    response = alice_client.get(
        _chart_url(project, metric="loss", runs=f"{runs['base'].pk},{bobs_run.pk}")
    )

    assert [t["name"] for t in _figure(response)["data"]] == ["base"]
    assert "bob-run" not in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"runs": "1"}, "Say which metric to chart"),
        ({"metric": "loss", "runs": "1,x"}, "runs must be run ids"),
        ({"metric": "loss", "runs": "1", "x": "epoch"}, "x must be “step” or “time”."),
        ({"metric": "loss", "runs": "1", "smooth": "2"}, "smooth must be a number from 0 to 0.99."),
        ({"metric": "loss", "runs": "1", "smooth": "nan"}, "smooth must be a number"),
        ({"metric": "loss", "runs": "1", "log": "yes"}, "log must be 0 or 1."),
    ],
)
def test_the_fragment_answers_bad_parameters_with_400_and_a_message(
    alice_client, project, runs, query, message
):
    response = alice_client.get(_chart_url(project, **query))

    assert response.status_code == 400
    assert message in unescape(response.text)


def test_the_fragment_is_404_for_another_user(bob_client, project, runs):
    response = bob_client.get(_chart_url(project, metric="loss", runs=runs["base"].pk))

    assert response.status_code == 404


def test_the_fragment_sends_anonymous_visitors_to_log_in(client, project, runs):
    response = client.get(_chart_url(project, metric="loss", runs=runs["base"].pk))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Zoom data ------------------------------------------------------------------------------------


@pytest.fixture
def long_run(project) -> Run:
    values = [round(1 + math.sin(i / 300) / 10, 6) for i in range(10_000)]
    values[4321] = 9.5
    imp = import_results(project, ("long.csv", long_csv({("big", "loss"): values})))
    return imp.runs.get()


def test_the_overview_is_downsampled_and_says_so(alice_client, project, long_run):
    response = alice_client.get(_chart_url(project, metric="loss", runs=long_run.pk))

    (trace,) = _figure(response)["data"]
    assert len(trace["x"]) <= 2_000
    assert max(trace["y"]) == 9.5
    assert "big: downsampled from 10,000 points" in response.text


def test_zooming_in_fetches_the_window_at_full_resolution(alice_client, project, long_run):
    response = alice_client.get(
        _data_url(project, metric="loss", runs=long_run.pk, x0="4000.5", x1="4500")
    )

    assert response.status_code == 200
    body = response.json()
    (trace,) = body["data"]
    assert trace["x"] == list(range(4000, 4502))  # the window, one point beyond each edge
    assert trace["y"][trace["x"].index(4321)] == 9.5
    assert body["note"] == ""
    assert body["points"] == 502


def test_the_data_without_a_window_is_the_overview(alice_client, project, long_run):
    body = alice_client.get(_data_url(project, metric="loss", runs=long_run.pk)).json()

    assert len(body["data"][0]["x"]) <= 2_000
    assert body["note"] == "big: downsampled from 10,000 points"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"metric": "loss", "x0": "10"}, "Give both x0 and x1, or neither."),
        ({"metric": "loss", "x0": "a", "x1": "10"}, "x0 and x1 must be numbers (steps)."),
        ({"metric": "loss", "x0": "inf", "x1": "10"}, "x0 and x1 must be numbers (steps)."),
        ({"metric": "loss", "x": "time", "x0": "soon", "x1": "later"}, "must be dates"),
        ({"x0": "1", "x1": "2"}, "Say which metric"),
    ],
)
def test_the_zoom_data_answers_bad_parameters_with_400_and_a_message(
    alice_client, project, long_run, query, message
):
    response = alice_client.get(_data_url(project, runs=long_run.pk, **query))

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_zoom_data_is_404_for_another_user_and_asks_anonymous_to_log_in(
    client, bob, project, long_run
):
    url = _data_url(project, metric="loss", runs=long_run.pk, x0=1, x1=2)

    assert client.get(url).status_code == 302
    client.force_login(bob)
    assert client.get(url).status_code == 404


# --- The results page -----------------------------------------------------------------------------


def test_the_results_page_charts_the_best_runs_of_the_first_metric(alice_client, project, runs):
    response = alice_client.get(reverse("projects:results", args=[project.slug]))

    assert response.status_code == 200
    assert (
        '<a href="/projects/' in response.text and 'aria-current="page">Charts</a>' in response.text
    )
    main, *others = _slots(response)
    assert main["metric"] == "acc"  # the first metric by name
    # Best first by the metric's direction (higher accuracy is better); runs without it are left
    # unchecked.
    assert main["runs"] == f"{runs['wide'].pk},{runs['base'].pk}"
    assert [o["metric"] for o in others] == ["loss"]
    assert [o["size"] for o in others] == ["small"]
    names = re.findall(r'<span class="run-choice-name">([^<]+)</span>', response.text)
    assert names == ["wide", "base", "tiny"]


def test_the_results_page_starts_with_the_projects_success_metric(alice_client, project, runs):
    save_revision(project, success_metric="loss", success_target=0.4, success_direction="lower")

    main, *others = _slots(alice_client.get(reverse("projects:results", args=[project.slug])))

    assert main["metric"] == "loss"
    assert main["runs"] == f"{runs['wide'].pk},{runs['base'].pk},{runs['tiny'].pk}"  # lowest first
    assert [o["metric"] for o in others] == ["acc"]


def test_the_results_page_keeps_the_chosen_runs_and_options(alice_client, project, runs):
    url = reverse("projects:results", args=[project.slug])

    response = alice_client.get(
        url, {"metric": "loss", "runs": [runs["tiny"].pk], "x": "time", "smooth": "0.6", "log": "1"}
    )

    (main,) = _slots(response)  # tiny has no other metric
    assert main == {
        "metric": "loss",
        "runs": str(runs["tiny"].pk),
        "x": "time",
        "smooth": "0.6",
        "log": "1",
    }
    assert re.search(rf'name="runs" value="{runs["tiny"].pk}" checked', response.text)
    assert not re.search(rf'name="runs" value="{runs["base"].pk}" checked', response.text)
    assert 'value="time" checked' in response.text
    assert 'name="log" value="1" checked' in response.text


def test_the_results_page_filters_the_run_list_by_name(alice_client, project, runs):
    response = alice_client.get(
        reverse("projects:results", args=[project.slug]),
        {"metric": "loss", "runs": str(runs["tiny"].pk), "q": "wid"},
    )

    names = re.findall(r'<span class="run-choice-name">([^<]+)</span>', response.text)
    assert names == ["wide", "tiny"]  # the match, and the chosen run that stays chosen


def test_the_results_page_with_htmx_returns_only_the_charts(
    alice_client, project, runs, htmx_headers
):
    response = alice_client.get(
        reverse("projects:results", args=[project.slug]),
        {"metric": "loss", "runs": str(runs["base"].pk)},
        headers=htmx_headers,
    )

    assert response.text.lstrip().startswith('<div id="chart-area"')
    # The options stay on the page; only the chart's own feedback form comes with the charts.
    assert 'id="chart-options"' not in response.text
    assert response.text.count("<form") == 1
    assert 'data-testid="pin-feedback"' in response.text
    assert [s["metric"] for s in _slots(response)] == ["loss", "acc"]
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_the_results_page_explains_bad_options_instead_of_failing(alice_client, project, runs):
    response = alice_client.get(
        reverse("projects:results", args=[project.slug]),
        {"metric": "nope", "smooth": "lots", "runs": "1,a"},
    )

    assert response.status_code == 200
    text = unescape(response.text)
    assert "smooth must be a number from 0 to 0.99." in text
    assert "No run has a metric “nope”; showing another." in text
    assert "runs must be run ids" in text
    assert _slots(response)[0]["metric"] == "acc"


def test_the_results_page_without_runs_says_how_to_get_some(alice_client, project):
    response = alice_client.get(reverse("projects:results", args=[project.slug]))

    assert response.status_code == 200
    assert "No runs yet" in response.text
    assert _slots(response) == []


def test_the_results_page_is_404_for_another_user_and_asks_anonymous_to_log_in(
    client, bob, project
):
    url = reverse("projects:results", args=[project.slug])

    assert client.get(url).status_code == 302
    client.force_login(bob)
    assert client.get(url).status_code == 404


def test_the_results_page_of_many_runs_takes_a_few_queries(
    alice_client, project, django_assert_max_num_queries
):
    import_results(
        project,
        (
            "many.csv",
            long_csv({(f"run-{i}", m): [1.0, 0.5] for i in range(60) for m in ("loss", "acc")}),
        ),
    )
    url = reverse("projects:results", args=[project.slug])

    # Two of them for the watch on metrics that live runs begin to log: the newest series row
    # and the chosen runs' live states (none here).
    with django_assert_max_num_queries(11):  # +1: whether the user mentors (the navigation's order)
        response = alice_client.get(url)

    main, *_ = _slots(response)
    assert len(main["runs"].split(",")) == 10


# --- The run page ---------------------------------------------------------------------------------


def test_the_run_page_loads_one_chart_per_series_lazily(alice_client, project, runs):
    response = alice_client.get(runs["base"].get_absolute_url())

    assert response.status_code == 200
    slots = _slots(response)
    assert [(s["metric"], s["runs"]) for s in slots] == [
        ("acc", str(runs["base"].pk)),
        ("loss", str(runs["base"].pk)),
    ]
    assert 'hx-trigger="revealed"' in response.text
    assert 'type="application/json"' not in response.text  # the points come with each chart
    assert "Charts need JavaScript." in response.text  # what a browser without it shows
    assert "4 points" in response.text


def test_the_run_page_passes_the_chart_options_to_its_charts(alice_client, project, runs):
    response = alice_client.get(
        runs["base"].get_absolute_url(), {"smooth": "0.8", "log": "1", "x": "step"}
    )

    assert all(s["smooth"] == "0.8" and s["log"] == "1" for s in _slots(response))
    assert 'name="log" value="1" checked' in response.text


def test_the_run_page_explains_a_bad_option(alice_client, project, runs):
    response = alice_client.get(runs["base"].get_absolute_url(), {"smooth": "-1"})

    assert response.status_code == 200
    assert "smooth must be a number from 0 to 0.99." in unescape(response.text)
    assert len(_slots(response)) == 2


def test_each_chart_of_a_run_page_draws_its_series(alice_client, project):
    run = import_results(project, sample("mlruns.zip")).runs.get(name="elasticnet-0")

    slots = _slots(alice_client.get(run.get_absolute_url()))

    figures = {s["metric"]: _figure(alice_client.get(_chart_url(project, **s))) for s in slots}
    assert sorted(figures) == ["eval/r2", "rmse"]
    for figure in figures.values():
        (trace,) = figure["data"]
        assert trace["x"] == list(range(20))
        assert len(trace["y"]) == 20
        assert figure["note"] == ""
    assert figures["rmse"]["data"][0]["y"][0] == pytest.approx(0.9965855749624046)


def test_going_back_in_history_gets_the_whole_results_page(alice_client, project, runs):
    response = alice_client.get(
        reverse("projects:results", args=[project.slug]),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<form" in response.text and '<div id="chart-area"' in response.text
