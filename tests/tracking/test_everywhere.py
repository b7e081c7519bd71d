"""Runs logged through the MLflow API are treated like imported runs everywhere: runs table,
run page with provenance, charts, compare, milestone targets, mentors' inboxes, public pages."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from milestones import services as milestone_services
from portfolio.api.tokens import token_create
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from portfolio.models import Notification
from projects import appends, imports
from projects.importers import ImportFailed
from projects.models import MetricSeries, PendingPoints, Run
from tests.factories import GoalFactory, create_project

pytestmark = pytest.mark.django_db

URL = "/mlflow/api/2.0/mlflow/"


@pytest.fixture
def token(alice) -> str:
    return token_create(user=alice, name="gpu box")[1]


def _post(client, path: str, token: str, body: dict, **headers):
    response = client.post(
        URL + path,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_USER_AGENT="mlflow-python-client/3.18.0",
        **headers,
    )
    assert response.status_code == 200, response.content
    return response.json()


def _log_run(client, token, project, name: str, values: list[float], *, end=None) -> Run:
    created = _post(
        client, "runs/create", token, {"experiment_id": str(project.pk), "run_name": name}
    )
    run_id = created["run"]["info"]["run_id"]
    metrics = [
        {"key": "val/accuracy", "value": v, "timestamp": 1_790_000_000_000 + s * 1000, "step": s}
        for s, v in enumerate(values)
    ]
    _post(
        client,
        "runs/log-batch",
        token,
        {"run_id": run_id, "metrics": metrics, "params": [{"key": "lr", "value": "0.1"}]},
    )
    if end:
        _post(client, "runs/update", token, {"run_id": run_id, "status": end, "end_time": 1})
    return Run.objects.get(external_id=run_id)


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Ticket router", visibility="mentors")


def test_a_live_run_is_in_the_runs_table_and_its_page_says_where_it_came_from(
    client, alice, token, project
):
    run = _log_run(client, token, project, "live-1", [0.5, 0.7, 0.8])
    client.force_login(alice)
    table = client.get(reverse("projects:runs", args=[project.slug]))
    assert "live-1" in table.text
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200
    text = page.text
    assert "Logged through the MLflow API by mlflow-python-client/3.18.0 from 127.0.0.1" in text
    assert f"token {alice.api_tokens.get().prefix}" in text
    assert "first point" in text
    assert "val/accuracy" in text
    # Before any fold, the metrics table counts the points that wait in the append table.
    assert PendingPoints.objects.filter(run=run).exists()
    assert "3 points" in text


def test_charts_read_points_before_and_after_the_fold(client, alice, token, project):
    run = _log_run(client, token, project, "live-1", [0.5, 0.7, 0.8])
    assert PendingPoints.objects.filter(run=run).exists()
    client.force_login(alice)
    params = {"metric": "val/accuracy", "runs": str(run.pk)}
    before = client.get(reverse("projects:chart-data", args=[project.slug]), params).json()
    appends.series_fold(run_id=run.pk)
    assert not PendingPoints.objects.filter(run=run).exists()
    after = client.get(reverse("projects:chart-data", args=[project.slug]), params).json()
    assert before == after
    assert json.dumps(before).count("0.7") >= 1
    assert MetricSeries.objects.get(run=run).count == 3


def test_a_finished_run_meeting_a_target_completes_the_milestone(
    client, alice, token, project, django_capture_on_commit_callbacks
):
    goal = GoalFactory(owner=alice, year=2026, quarter=4)
    milestone = milestone_services.milestone_create(
        goal=goal,
        title="Reach 90% validation accuracy",
        target_project=project,
        target_metric="val/accuracy",
        target_comparison=">=",
        target_threshold=0.9,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _log_run(client, token, project, "low", [0.5, 0.6], end="FINISHED")
    milestone.refresh_from_db()
    assert milestone.status != "done"
    with django_capture_on_commit_callbacks(execute=True):
        run = _log_run(client, token, project, "high", [0.8, 0.95], end="FINISHED")
    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.evidence_run_id == run.pk


def test_mentors_get_a_run_finished_item_unless_the_project_is_private(
    client, alice, bob, token, project, django_capture_on_commit_callbacks
):
    _, invitation = mentorship_invite(engineer=alice)
    mentorship_accept(token=invitation, mentor=bob)
    with django_capture_on_commit_callbacks(execute=True):
        _log_run(client, token, project, "shared", [0.5, 0.6], end="FAILED")
    item = Notification.objects.get(recipient=bob, kind="run")
    assert item.run.name == "shared"
    client.force_login(bob)
    dashboard = client.get(reverse("mentoring:dashboard"))
    assert "finished run “shared” of “Ticket router” (failed)" in dashboard.text

    secret = create_project(owner=alice, title="Secret", visibility="private")
    with django_capture_on_commit_callbacks(execute=True):
        _log_run(client, token, secret, "hidden", [0.5], end="FINISHED")
    assert Notification.objects.filter(recipient=bob, kind="run").count() == 1


def test_a_public_page_cites_the_live_run_with_its_provenance(
    client, alice, token, django_capture_on_commit_callbacks
):
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(
        owner=alice, title="Public router", visibility="public", success_metric="val/accuracy"
    )
    with django_capture_on_commit_callbacks(execute=True):
        _log_run(client, token, project, "best", [0.7, 0.91], end="FINISHED")
    page = client.get(reverse("public:project", args=[alice.profile.slug, project.slug]))
    assert page.status_code == 200
    assert "Logged through the MLflow API by mlflow-python-client/3.18.0" in page.text
    assert "first point Sep" in page.text


def test_compare_and_statistics_take_live_runs(client, alice, token, project):
    first = _log_run(client, token, project, "a", [0.5, 0.7])
    second = _log_run(client, token, project, "b", [0.6, 0.9])
    client.force_login(alice)
    response = client.get(
        reverse("projects:compare", args=[project.slug]), {"runs": f"{first.pk},{second.pk}"}
    )
    assert response.status_code == 200
    assert "0.9" in response.text


def test_a_live_run_cannot_be_read_again_like_a_file(client, alice, token, project):
    run = _log_run(client, token, project, "live", [0.5, 0.6])
    imp = run.experiment_import
    client.force_login(alice)
    page = client.get(reverse("projects:import", args=[project.slug, imp.pk]))
    assert page.status_code == 200
    assert 'data-testid="read-again"' not in page.text
    assert "Logged through the MLflow API" in page.text
    response = client.post(
        reverse("projects:import-preview", args=[project.slug, imp.pk]), {"confirmed": "on"}
    )
    assert response.status_code in (200, 302)
    imp.refresh_from_db()
    assert imp.status == "succeeded"
    assert Run.objects.filter(pk=run.pk).exists()
    with pytest.raises(ImportFailed):
        imports.import_reread(experiment_import=imp, choices={})
