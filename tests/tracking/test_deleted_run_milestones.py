"""A milestone done by a run's metric follows that run: deleting the run through the MLflow
client (delete_run) reopens the milestone, or hands its evidence to the next best run that still
meets the target; restoring it (restore_run) completes it again; a milestone ticked by hand
stays done. Checked on the plan page, as the engineer reads it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from mlflow import MlflowClient

from milestones import services
from milestones.models import Milestone
from projects.models import Project, Run
from tests.factories import GoalFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _log(client: MlflowClient, experiment: str, name: str, values: list[float]) -> str:
    run_id = client.create_run(experiment, run_name=name).info.run_id
    for step, value in enumerate(values):
        client.log_metric(run_id, "val/accuracy", value, step=step)
    client.set_terminated(run_id)
    return run_id


def _targeted(alice, experiment: str) -> Milestone:
    return services.milestone_create(
        goal=GoalFactory(owner=alice, year=2026, quarter=4, title="Ship the router"),
        title="Reach 90% validation accuracy",
        target_project=Project.objects.get(pk=experiment),
        target_metric="val/accuracy",
        target_comparison=">=",
        target_threshold=0.9,
    )


def _on_the_plan(client, alice, milestone: Milestone) -> str:
    """The milestone's status as its row on the plan page says it."""
    client.force_login(alice)
    page = client.get(reverse("milestones:plan"), follow=True).content.decode()
    found = re.search(
        rf'class="milestone status-([a-z_]+)[^"]*" id="milestone-{milestone.pk}"', page
    )
    assert found, "the milestone is not on the plan page"
    return found.group(1)


def test_deleting_the_run_that_met_the_target_reopens_it_and_a_restore_completes_it_again(
    as_alice, client, alice
):
    mlflow = MlflowClient()
    experiment = mlflow.create_experiment("Router")
    lucky = _log(mlflow, experiment, "lucky", [0.4, 0.92])
    _log(mlflow, experiment, "steady", [0.5, 0.88])
    milestone = _targeted(alice, experiment)
    assert _on_the_plan(client, alice, milestone) == "done"

    mlflow.delete_run(lucky)

    assert _on_the_plan(client, alice, milestone) == "in_progress"
    milestone.refresh_from_db()
    assert milestone.evidence_run is None and milestone.done_at is None
    assert milestone.checkins.first().note == (
        "Reopened automatically: evidence run lucky was deleted, and no remaining run reaches "
        "val/accuracy ≥ 0.9. Best remaining: run steady at 0.88."
    )

    mlflow.restore_run(lucky)

    assert _on_the_plan(client, alice, milestone) == "done"
    milestone.refresh_from_db()
    assert milestone.evidence_run == Run.objects.get(external_id=lucky)
    assert milestone.checkins.first().note.startswith("Done automatically: run lucky reached")


def test_the_next_best_run_that_meets_the_target_becomes_the_evidence(as_alice, client, alice):
    mlflow = MlflowClient()
    experiment = mlflow.create_experiment("Router")
    first = _log(mlflow, experiment, "first", [0.95])
    second = _log(mlflow, experiment, "second", [0.5, 0.93])
    milestone = _targeted(alice, experiment)
    assert milestone.evidence_run.external_id == first

    mlflow.delete_run(first)

    assert _on_the_plan(client, alice, milestone) == "done"
    milestone.refresh_from_db()
    assert milestone.evidence_run.external_id == second
    assert milestone.evidence_url == milestone.evidence_run.get_absolute_url()
    assert milestone.checkins.first().note.startswith(
        "Evidence run first was deleted; run second still reaches val/accuracy 0.93"
    )


def test_a_milestone_ticked_by_hand_stays_done(as_alice, client, alice):
    mlflow = MlflowClient()
    experiment = mlflow.create_experiment("Router")
    milestone = _targeted(alice, experiment)
    services.milestone_set_status(milestone=milestone, status="done")
    good = _log(mlflow, experiment, "good", [0.97])

    mlflow.delete_run(good)
    mlflow.restore_run(good)
    mlflow.delete_run(good)

    assert _on_the_plan(client, alice, milestone) == "done"
    assert not milestone.checkins.filter(automatic=True).exists()


def test_deleting_a_run_that_is_not_the_evidence_changes_nothing(as_alice, client, alice):
    mlflow = MlflowClient()
    experiment = mlflow.create_experiment("Router")
    _log(mlflow, experiment, "best", [0.96])
    other = _log(mlflow, experiment, "other", [0.91])
    milestone = _targeted(alice, experiment)

    mlflow.delete_run(other)

    assert _on_the_plan(client, alice, milestone) == "done"
    assert milestone.checkins.count() == 1
