"""The statistics page: groups, verdicts, the chart, access and the metric direction form."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse
from scipy import stats as scipy_stats

from projects.models import ExperimentImport, Run
from tests.factories import create_project, import_results, long_csv, mlflow_runs_csv

pytestmark = pytest.mark.django_db

AUGMENT = [0.91, 0.92, 0.93]
BASELINE = [0.86, 0.87, 0.88]


@pytest.fixture
def project(alice):
    """Three seeds each of baseline and augment (named like the demo's), through the importer."""
    project = create_project(owner=alice, title="Augmentation study")
    series = {}
    for group, finals in (("augment", AUGMENT), ("baseline", BASELINE)):
        for seed, final in enumerate(finals, start=1):
            series[(f"{group}-seed{seed}", "val/accuracy")] = [0.5, 0.7, final]
            series[(f"{group}-seed{seed}", "val/loss")] = [1.0, 1.0 - final, 1.1 - final]
    import_results(project, ("seeds.csv", long_csv(series)))
    return project


def _url(project, **query) -> str:
    base = reverse("projects:stats", args=[project.slug])
    if not query:
        return base
    return base + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def _text(response) -> str:
    """The page's words, without tags, on one line."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(words)).replace(" :", ":").replace("( ", "(")


def _figure(response) -> dict:
    match = re.search(
        r'<script id="figure-stats-chart" type="application/json">(.*?)</script>',
        response.text,
        re.S,
    )
    assert match, "the page has no stats figure"
    return json.loads(match.group(1))


def _mlflow_project(owner, runs):
    project = create_project(owner=owner, title="Sweep")
    import_results(project, ("runs.csv", mlflow_runs_csv(runs)))
    return project


def test_it_groups_the_seeds_by_name_and_calls_the_winner(alice_client, project):
    response = alice_client.get(_url(project, metric="val/accuracy"))

    text = _text(response)
    assert response.status_code == 200
    assert 'aria-current="page">Statistics</a>' in response.text
    assert response.text.count('data-testid="group-row"') == 2
    expected_p = scipy_stats.ttest_ind(AUGMENT, BASELINE, equal_var=False).pvalue
    assert "augment beats baseline on val/accuracy (higher is better): +5.00 points" in text
    assert f"p = {expected_p:.3f}" in text


def test_it_respects_a_lower_is_better_metric(alice_client, project):
    response = alice_client.get(_url(project, metric="val/loss"))

    assert "augment beats baseline on val/loss (lower is better)" in _text(response)


def test_the_chart_shows_each_run_and_each_group_mean(alice_client, project):
    figure = _figure(alice_client.get(_url(project, metric="val/accuracy")))

    boxes = [t for t in figure["data"] if t["type"] == "box"]
    means = [t for t in figure["data"] if t["type"] == "scatter"]
    assert [b["name"] for b in boxes] == ["augment", "baseline"]
    assert sorted(boxes[0]["y"]) == AUGMENT
    assert means[0]["y"] == pytest.approx([sum(AUGMENT) / 3, sum(BASELINE) / 3])


def test_best_value_uses_the_metric_direction(alice_client, project):
    response = alice_client.get(_url(project, metric="val/loss", which="best"))

    # The best loss is the minimum of each series: 1 - final, not the last point 1.1 - final.
    figure = _figure(response)
    assert sorted(figure["data"][0]["y"]) == pytest.approx(sorted(1 - v for v in AUGMENT))


def test_it_refuses_a_winner_with_two_runs_a_group(alice_client, alice):
    project = _mlflow_project(
        alice,
        [
            {"name": "a", "params": {"model": "augment"}, "metrics": {"acc": 0.95}},
            {"name": "b", "params": {"model": "augment"}, "metrics": {"acc": 0.96}},
            {"name": "c", "params": {"model": "baseline"}, "metrics": {"acc": 0.60}},
            {"name": "d", "params": {"model": "baseline"}, "metrics": {"acc": 0.61}},
        ],
    )

    response = alice_client.get(_url(project, key="param:model", metric="acc"))

    text = _text(response)
    assert response.status_code == 200
    assert "No winner can be called on acc" in text
    assert "augment has 2 runs and baseline has 2 runs" in text
    assert "beats" not in text


def test_runs_without_the_key_or_metric_are_left_out_and_counted(alice_client, alice):
    project = _mlflow_project(
        alice,
        [
            *(
                {"name": f"s{i}", "params": {"model": m}, "metrics": {"acc": v}}
                for i, (m, v) in enumerate(
                    [("x", 0.9), ("x", 0.91), ("x", 0.92), ("y", 0.5), ("y", 0.52), ("y", 0.51)]
                )
            ),
            {"name": "loner", "metrics": {"acc": 0.1}},
            {"name": "nometric", "params": {"model": "x"}, "metrics": {"f1": 0.3}},
        ],
    )

    text = _text(alice_client.get(_url(project, key="param:model", metric="acc")))

    assert "1 run without this param or tag is left out" in text
    assert "1 run without acc is left out" in text
    assert "x beats y on acc" in text


def test_it_explains_when_the_runs_cannot_be_grouped(alice_client, alice):
    project = _mlflow_project(
        alice,
        [
            {"name": "alpha", "params": {"lr": "0.1"}, "metrics": {"acc": 0.9}},
            {"name": "beta", "params": {"lr": "0.2"}, "metrics": {"acc": 0.8}},
        ],
    )

    response = alice_client.get(_url(project))

    assert response.status_code == 200
    assert "Nothing to group yet" in _text(response)


def test_it_explains_an_empty_project(alice_client, alice):
    project = create_project(owner=alice)

    response = alice_client.get(_url(project))

    assert response.status_code == 200
    assert "No runs yet" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"metric": "nope"}, "No run of this project has a metric called “nope”."),
        ({"key": "param:nope"}, "The runs cannot be grouped by “param:nope”"),
        ({"which": "median"}, "Pick the final or the best value."),
        ({"metric": "val/accuracy", "baseline": "ghost"}, "There is no group “ghost”"),
    ],
)
def test_bad_choices_give_a_clear_message(alice_client, project, query, message):
    response = alice_client.get(_url(project, **query))

    assert response.status_code == 400
    assert message in _text(response)
    assert 'data-testid="comparison"' not in response.text


def _sweep(alice, groups: dict[str, list[float]]):
    runs = [
        {"name": f"{opt}-{i}", "params": {"opt": opt}, "metrics": {"acc": value}}
        for opt, values in groups.items()
        for i, value in enumerate(values)
    ]
    return _mlflow_project(alice, runs)


def _headings(response) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", h).strip()
        for h in re.findall(r'data-testid="comparison">\s*<h2>(.*?)</h2>', response.text, re.S)
    ]


def test_every_group_is_compared_with_the_group_named_baseline(alice_client, alice):
    # "adam" comes first alphabetically and "lion" has the most runs: neither is the baseline.
    project = _sweep(
        alice,
        {"adam": [0.7, 0.71, 0.72], "baseline": [0.6, 0.61, 0.62], "lion": [0.5] * 4},
    )

    response = alice_client.get(_url(project, key="param:opt", metric="acc"))

    assert _headings(response) == ["adam vs baseline baseline", "lion vs baseline baseline"]
    assert '<option value="baseline" selected>' in response.text
    assert "Chosen by its name." in _text(response)
    text = _text(response)
    assert "adam beats baseline on acc" in text
    assert "baseline beats lion on acc" in text
    assert "adam beats lion" not in text and "lion beats adam" not in text


@pytest.mark.parametrize("name", ["control", "Main"])
def test_control_or_main_is_the_baseline_too(alice_client, alice, name):
    project = _sweep(alice, {"adam": [0.7, 0.71, 0.72], name: [0.6, 0.61, 0.62, 0.63]})

    response = alice_client.get(_url(project, key="param:opt", metric="acc"))

    assert _headings(response) == [f"adam vs {name} baseline"]


def test_without_such_a_name_the_group_with_most_runs_is_the_baseline(alice_client, alice):
    project = _sweep(
        alice, {"adam": [0.7, 0.71, 0.72], "lion": [0.5, 0.51, 0.52, 0.53], "sgd": [0.6] * 3}
    )

    response = alice_client.get(_url(project, key="param:opt", metric="acc"))

    assert _headings(response) == ["adam vs lion baseline", "sgd vs lion baseline"]
    assert "Chosen by the most runs." in _text(response)


def test_the_user_chooses_the_baseline_and_the_verdicts_follow(alice_client, alice):
    project = _sweep(
        alice, {"adam": [0.7, 0.71, 0.72], "baseline": [0.6, 0.61, 0.62], "sgd": [0.5, 0.51, 0.52]}
    )

    response = alice_client.get(_url(project, key="param:opt", metric="acc", baseline="sgd"))

    assert response.status_code == 200
    assert _headings(response) == ["adam vs sgd baseline", "baseline vs sgd baseline"]
    assert '<option value="sgd" selected>' in response.text
    assert "Chosen by" not in _text(response)
    assert "baseline beats sgd on acc" in _text(response)


def test_a_very_small_p_value_reads_p_below_0_001(alice_client, alice):
    project = _sweep(
        alice, {"adam": [0.9, 0.901, 0.902, 0.903], "baseline": [0.5, 0.501, 0.502, 0.503]}
    )

    text = _text(alice_client.get(_url(project, key="param:opt", metric="acc")))

    assert "p < 0.001" in text
    assert "p = <" not in text


def test_nan_finals_are_dropped_and_said(alice_client, alice):
    project = create_project(owner=alice)
    series = {(f"g-seed{i}", "score"): [0.1, v] for i, v in enumerate([0.5, 0.6, 0.7], 1)}
    series |= {(f"h-seed{i}", "score"): [0.1, v] for i, v in enumerate([0.2, 0.3, 0.25], 1)}
    import_results(project, ("s.csv", long_csv(series)))
    Run.objects.filter(project=project, name="g-seed1").update(
        summary={"score": {"last": None, "min": None, "max": None, "count": 2}}
    )

    response = alice_client.get(_url(project, metric="score"))

    assert response.status_code == 200
    assert "(1 NaN left out)" in response.text
    assert "g has 2 runs" in _text(response)


# --- Access --------------------------------------------------------------------------------------


def test_another_user_gets_404(bob_client, project):
    assert bob_client.get(_url(project)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, project):
    response = client.get(_url(project))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Direction --------------------------------------------------------------------------------


def _direction_url(project) -> str:
    return reverse("projects:metric-direction", args=[project.slug])


def test_the_owner_can_say_lower_is_better(alice_client, project):
    response = alice_client.post(
        _direction_url(project), {"metric": "val/accuracy", "direction": "lower"}
    )

    project.refresh_from_db()
    assert response.status_code == 302
    assert project.metric_directions == {"val/accuracy": "lower"}
    page = _text(alice_client.get(response["Location"]))
    assert "val/accuracy: lower is better (set by you)" in page
    assert "baseline beats augment on val/accuracy (lower is better)" in page


def test_the_override_reaches_the_runs_table(alice_client, project):
    alice_client.post(_direction_url(project), {"metric": "val/accuracy", "direction": "lower"})

    response = alice_client.get(reverse("projects:runs", args=[project.slug]))

    assert response.context["table"].directions["val/accuracy"] == "lower"


def test_choosing_the_guess_again_removes_the_override(alice_client, project):
    alice_client.post(_direction_url(project), {"metric": "val/accuracy", "direction": "lower"})
    alice_client.post(_direction_url(project), {"metric": "val/accuracy", "direction": ""})

    project.refresh_from_db()
    assert project.metric_directions == {}


@pytest.mark.parametrize(
    "data",
    [
        {"metric": "val/accuracy", "direction": "sideways"},
        {"metric": "unknown", "direction": "lower"},
        {"direction": "lower"},
    ],
)
def test_a_bad_direction_changes_nothing(alice_client, project, data):
    response = alice_client.post(_direction_url(project), data)

    project.refresh_from_db()
    assert response.status_code == 302
    assert project.metric_directions == {}
    follow = alice_client.get(response["Location"])
    assert "Pick higher, lower or the guess" in _text(follow)


def test_only_the_owner_can_set_a_direction(bob_client, project):
    response = bob_client.post(
        _direction_url(project), {"metric": "val/accuracy", "direction": "lower"}
    )

    project.refresh_from_db()
    assert response.status_code == 404
    assert project.metric_directions == {}


def test_anonymous_cannot_set_a_direction(client, project):
    response = client.post(
        _direction_url(project), {"metric": "val/accuracy", "direction": "lower"}
    )

    project.refresh_from_db()
    assert response.status_code == 302
    assert project.metric_directions == {}


def test_the_direction_form_needs_csrf(alice, project):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)

    response = strict.post(
        _direction_url(project), {"metric": "val/accuracy", "direction": "lower"}
    )

    assert response.status_code == 403


def test_the_direction_form_is_a_get_only_page_otherwise(alice_client, project):
    assert alice_client.get(_direction_url(project)).status_code == 405
    assert ExperimentImport.objects.filter(project=project).count() == 1
