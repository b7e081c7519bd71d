"""A run deleted through the MLflow API (runs/delete) shows nowhere in Cairn: runs table, run
page, charts, compare, statistics, targets, public pages; runs/restore brings it back; and
search_runs with run_view_type answers as an MLflow server does."""

from __future__ import annotations

import json

import mlflow
import pytest
from django.urls import reverse
from mlflow import MlflowClient
from mlflow.entities import ViewType

from milestones import services as milestone_services
from portfolio.api.tokens import token_create
from projects import targets
from projects.models import Run
from tests.factories import GoalFactory, create_project

URL = "/mlflow/api/2.0/mlflow/"


@pytest.fixture
def token(alice) -> str:
    return token_create(user=alice, name="sweep")[1]


def _post(client, path: str, token: str, body: dict) -> dict:
    response = client.post(
        URL + path, json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()


def _log_run(client, token, project, name: str, values: list[float]) -> Run:
    body = {"experiment_id": str(project.pk), "run_name": name}
    run_id = _post(client, "runs/create", token, body)["run"]["info"]["run_id"]
    metrics = [
        {"key": "val/accuracy", "value": v, "timestamp": 1_790_000_000_000 + s, "step": s}
        for s, v in enumerate(values)
    ]
    _post(client, "runs/log-batch", token, {"run_id": run_id, "metrics": metrics})
    _post(client, "runs/update", token, {"run_id": run_id, "status": "FINISHED"})
    return Run.objects.get(external_id=run_id)


@pytest.fixture
def project(alice):
    return create_project(
        owner=alice, title="Sweep", visibility="public", success_metric="val/accuracy"
    )


def _pages(client, project, kept: Run, gone: Run) -> dict[str, str]:
    runs = f"{kept.pk},{gone.pk}"
    chart = {"metric": "val/accuracy", "runs": runs}
    return {
        "runs table": client.get(reverse("projects:runs", args=[project.slug])).text,
        "results": client.get(reverse("projects:results", args=[project.slug])).text,
        "chart data": json.dumps(
            client.get(reverse("projects:chart-data", args=[project.slug]), chart).json()
        ),
        "compare": client.get(
            reverse("projects:compare", args=[project.slug]), {"runs": runs}
        ).text,
        "stats": client.get(reverse("projects:stats", args=[project.slug])).text,
    }


def test_a_deleted_run_shows_on_no_page_and_a_restore_brings_it_back(
    client, alice, token, project, django_capture_on_commit_callbacks
):
    kept = _log_run(client, token, project, "kept-run", [0.5, 0.6])
    gone = _log_run(client, token, project, "dropped-run", [0.7, 0.987])
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "runs/delete", token, {"run_id": gone.external_id})
    gone.refresh_from_db()
    assert gone.deleted_at is not None

    client.force_login(alice)
    for name, text in _pages(client, project, kept, gone).items():
        assert "dropped-run" not in text and "0.987" not in text, name
    assert "kept-run" in client.get(reverse("projects:runs", args=[project.slug])).text
    assert client.get(gone.get_absolute_url()).status_code == 404

    client.logout()
    public = client.get(reverse("public:project", args=[alice.profile.slug, project.slug]))
    assert "dropped-run" not in public.text and "0.987" not in public.text

    with django_capture_on_commit_callbacks(execute=True):
        _post(client, "runs/restore", token, {"run_id": gone.external_id})
    client.force_login(alice)
    assert "dropped-run" in client.get(reverse("projects:runs", args=[project.slug])).text
    assert client.get(gone.get_absolute_url()).status_code == 200


def test_a_deleted_run_meets_no_target(client, alice, token, project):
    _log_run(client, token, project, "low", [0.5, 0.6])
    high = _log_run(client, token, project, "high", [0.8, 0.95])
    assert targets.best_run(project=project, metric="val/accuracy", comparison=">=").id == high.pk
    _post(client, "runs/delete", token, {"run_id": high.external_id})
    best = targets.best_run(project=project, metric="val/accuracy", comparison=">=")
    assert best.name == "low" and best.value == 0.6

    goal = GoalFactory(owner=alice, year=2026, quarter=4)
    milestone = milestone_services.milestone_create(
        goal=goal,
        title="Reach 90%",
        target_project=project,
        target_metric="val/accuracy",
        target_comparison=">=",
        target_threshold=0.9,
    )
    milestone.refresh_from_db()
    assert milestone.status != "done"


def test_search_runs_takes_the_view_type_as_mlflow_does(as_alice):
    client = MlflowClient()
    experiment = client.create_experiment("Views")
    kept = client.create_run(experiment, run_name="kept").info.run_id
    gone = client.create_run(experiment, run_name="gone").info.run_id
    client.delete_run(gone)

    def found(view: int) -> set[str]:
        return {r.info.run_id for r in client.search_runs([experiment], run_view_type=view)}

    assert found(ViewType.ACTIVE_ONLY) == {kept}
    assert found(ViewType.DELETED_ONLY) == {gone}
    assert found(ViewType.ALL) == {kept, gone}
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    assert {r.info.run_id for r in mlflow.search_runs([experiment], output_format="list")} == {kept}
    client.restore_run(gone)
    assert found(ViewType.ACTIVE_ONLY) == {kept, gone}
