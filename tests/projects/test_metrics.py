"""One rule for a metric's direction and a run's best value (projects/metrics.py), reaching every
page that judges runs: the runs table, the chart's run list and target line, the project's
success check, the plan's best-so-far chart, the public page, the preview image, the statistics
page and milestone targets."""

from __future__ import annotations

import math
import re
from html import unescape

import pytest
from django.urls import reverse

from milestones import best_so_far
from milestones import services as milestone_services
from portfolio.public import previews
from portfolio.public import reads as public_reads
from projects import metrics, selectors, services, targets
from projects.models import Run
from projects.selectors import charts as chart_reads
from tests.factories import (
    create_project,
    import_results,
    long_csv,
    mlflow_runs_csv,
    save_revision,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    """A public project whose success metric, `score`, reads as higher-is-better by its name and
    in its record (the form's default), with runs whose minimum and maximum pick different runs:
    "low" reaches 0.2 at its lowest, "high" 0.95 at its highest."""
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(owner=alice, title="Ranker", visibility="public")
    imp = import_results(
        project,
        (
            "scores.csv",
            long_csv({("low", "score"): [0.6, 0.2, 0.4], ("high", "score"): [0.3, 0.95, 0.9]}),
        ),
    )
    assert imp.status == "succeeded", imp.message
    save_revision(project, success_metric="score", success_target=0.25)
    project.refresh_from_db()
    return project


@pytest.fixture
def lower(project):
    """The owner says lower is better for `score` (the statistics page's choice)."""
    services.metric_direction_set(project=project, metric="score", direction="lower")
    project.refresh_from_db()
    return project


def _text(client, url: str) -> str:
    """The page's words, without tags, on one line."""
    response = client.get(url)
    assert response.status_code == 200
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(words)).replace(" :", ":")


def _run_id(project, name: str) -> int:
    return Run.objects.get(project=project, name=name).pk


# --- The rule -----------------------------------------------------------------------------------


def test_the_name_decides_when_nobody_said_otherwise():
    assert metrics.metric_direction("val/rmse") == "lower"
    assert metrics.metric_direction("val/accuracy") == "higher"
    assert metrics.direction_and_reason("latency_ms")[1] == metrics.GUESSED


def test_the_records_success_direction_beats_the_name(alice):
    project = create_project(owner=alice, success_metric="val_loss", success_direction="higher")

    assert metrics.direction_and_reason("val_loss", project) == ("higher", metrics.SET_BY_RECORD)
    assert metrics.metric_direction("train_loss", project) == "lower"  # not the success metric


def test_the_owners_word_beats_the_record_and_the_name(project, lower):
    assert project.current_revision.success_direction == "higher"
    assert metrics.direction_and_reason("score", lower) == ("lower", metrics.SET_BY_OWNER)


def test_choosing_what_applies_anyway_stores_nothing(alice):
    project = create_project(owner=alice, success_metric="val_loss", success_direction="higher")

    services.metric_direction_set(project=project, metric="val_loss", direction="higher")
    assert project.metric_directions == {}
    # Against the record (though the name agrees), the choice is kept and wins.
    services.metric_direction_set(project=project, metric="val_loss", direction="lower")
    assert project.metric_directions == {"val_loss": "lower"}
    assert metrics.metric_direction("val_loss", project) == "lower"


def test_a_best_value_is_a_finite_number_in_the_metrics_direction():
    entry = {"min": 0.1, "max": 0.9, "last": 0.5, "count": 3}

    assert metrics.summary_best(entry, "lower") == 0.1
    assert metrics.summary_best(entry, "higher") == 0.9
    assert metrics.run_value({"m": entry}, "m", "last", "higher") == 0.5
    assert metrics.run_best({"m": entry}, "other", "higher") is None
    for bad in (math.nan, math.inf, True, "0.3", None):
        assert metrics.summary_best({"max": bad}, "higher") is None


def test_the_best_so_far_never_gets_worse():
    assert metrics.running_best([0.5, 0.3, 0.4, 0.1], "lower") == [0.5, 0.3, 0.3, 0.1]
    assert metrics.running_best([0.5, 0.3, 0.7], "higher") == [0.5, 0.5, 0.7]
    assert metrics.best_of([None, 2.0, 1.0], "lower") == 1.0
    assert metrics.best_of([None], "higher") is None


def test_a_comparison_states_its_own_direction():
    assert metrics.direction_of_comparison("<=") == "lower"
    assert metrics.direction_of_comparison(">") == "higher"
    assert metrics.comparison_for("lower") == "<="


# --- The owner's direction reaches every place ------------------------------------------------


def test_the_runs_table_shows_the_minimum_as_best(lower):
    table = selectors.runs_table(project=lower)

    assert table.directions["score"] == "lower"
    best = {row.name: row.cells["score"][1] for row in table.rows}
    assert best == {"low": 0.2, "high": 0.3}


def test_the_chart_ranks_the_lowest_run_first_and_draws_the_target_as_a_ceiling(lower):
    choices = chart_reads.run_choices(project=lower, key="score")

    assert [c.name for c in choices] == ["low", "high"]
    assert chart_reads.project_target(lower, "score").direction == "lower"


def test_the_success_check_judges_the_lowest_run(lower):
    check = targets.project_success(project=lower, revision=lower.current_revision)

    assert (check.direction, check.comparison) == ("lower", "<=")
    assert (check.best.name, check.best.value, check.met) == ("low", 0.2, True)


def test_the_project_page_says_the_lowest_run_meets_the_target(alice_client, lower):
    page = alice_client.get(lower.get_absolute_url()).content.decode()

    assert "<strong>0.2</strong> – target ≤ 0.25 met" in page
    assert "lower is better" in page


def test_the_plans_best_so_far_chart_falls(alice, lower):
    (series,), _ = best_so_far.best_so_far_for(owner=alice)

    assert series.direction == "lower"
    assert series.best == [0.2]
    assert series.target_met is True


def test_the_public_page_claims_the_lowest_run(lower):
    page = public_reads.project_page(lower)

    assert page.direction == "lower"
    assert (page.key_metric.run, page.key_metric.value, page.key_metric.met) == ("low", 0.2, True)
    assert [r.name for r in page.top_runs] == ["low", "high"]
    assert page.charts[0][1][0] == _run_id(lower, "low")


def test_the_public_profile_claims_the_lowest_run(client, alice, lower):
    page = client.get(reverse("public:profile", args=[alice.profile.slug])).content.decode()

    assert "0.2" in page and "0.95" not in page


def test_the_preview_image_draws_the_falling_best(alice, lower):
    fig = previews.project_figure(lower, alice.profile)

    points, best = fig.data
    assert list(points.y) == [0.2, 0.3]
    assert list(best.y) == [0.2, 0.2]


def test_the_statistics_page_says_who_set_the_direction(alice, alice_client):
    project = create_project(owner=alice, success_metric="score")
    runs = [
        {"name": f"r{i}", "params": {"model": "ab"[i % 2]}, "metrics": {"score": i / 10}}
        for i in range(6)
    ]
    import_results(project, ("runs.csv", mlflow_runs_csv(runs)))
    url = reverse("projects:stats", args=[project.slug]) + "?key=param:model&metric=score"
    assert "score: higher is better (the record's success direction)" in _text(alice_client, url)

    services.metric_direction_set(project=project, metric="score", direction="lower")

    assert "score: lower is better (set by you)" in _text(alice_client, url)


def test_a_milestone_target_follows_its_comparison_not_the_name(goal, project):
    # `score` reads as higher-is-better, but "<= 0.25" asks for the lowest value.
    milestone = milestone_services.milestone_create(
        goal=goal,
        title="Score at most 0.25",
        target_project=project,
        target_metric="score",
        target_comparison="<=",
        target_threshold=0.25,
    )

    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert "run low reached score 0.2" in milestone.checkins.get().note
