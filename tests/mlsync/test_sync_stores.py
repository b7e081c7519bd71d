"""The sync engine over the store sources: an mlruns folder and an mlflow.db written by the real
MLflow client, synced, written to again, and synced again."""

from __future__ import annotations

import json
import math

import pytest
from django.urls import reverse

from mlsync import services
from mlsync.models import SyncedRun, SyncState
from mlsync.sync import sync_connection_run
from projects.appends import run_points
from projects.models import Run
from projects.provenance import live_provenance
from tests.factories import create_project
from tests.mlflow_env import mlflow_env
from tests.mlsync.stores import MORE, WRITE, write_store

__all__ = ["mlflow_env"]
pytestmark = pytest.mark.django_db


@pytest.fixture(params=["files", "sqlite"])
def store(request, mlflow_env, tmp_path):
    if request.param == "files":
        path, uri = tmp_path / "mlruns", f"file://{tmp_path}/mlruns"
    else:
        path, uri = tmp_path / "mlflow.db", f"sqlite:///{tmp_path}/mlflow.db"
    return {"path": path, "uri": uri, "ids": write_store(uri, WRITE)}


def _sync(connection):
    sync = sync_connection_run(connection_id=connection.pk, trigger="test")
    assert sync.state == SyncState.SUCCEEDED, sync.reason
    return sync


def _run(project, name) -> Run:
    return project.runs.get(name=name)


def test_a_store_syncs_whole_then_only_what_changed(alice, store, client):
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(owner=alice, title="Churn model", visibility="public")
    connection = services.connection_create(
        project=project, kind="store", store_path=str(store["path"]), experiments=["churn"]
    )

    first = _sync(connection)

    assert first.runs_added == 4  # gone too: kept, and marked deleted as it is in MLflow
    assert first.points_added == 13 + 3
    baseline = _run(project, "baseline")
    assert baseline.params["lr"] == "0.1" and baseline.tags["stage/kind"] == "nightly"
    assert run_points(run_id=baseline.pk, key="loss").values.tolist() == [1, 0.5, 1 / 3, 0.25, 0.2]
    odd = run_points(run_id=baseline.pk, key="odd").values.tolist()
    assert math.isnan(odd[0]) and odd[1:] == [math.inf, -math.inf]
    assert run_points(run_id=baseline.pk, key="eval/auc").steps.tolist() == [0, 1, 2, 3, 4]
    assert SyncedRun.objects.get(mlflow_run_id=store["ids"]["gone"]).is_deleted
    assert _run(project, "gone").deleted_at is not None
    assert set(project.runs.current().values_list("name", flat=True)) == {
        "baseline",
        "crashed",
        "going",
    }
    provenance = live_provenance(baseline.experiment_import)
    assert str(store["path"]) in provenance and store["ids"]["baseline"] in provenance

    more = write_store(store["uri"], MORE, RUN_IDS=json.dumps(store["ids"]))
    second = _sync(connection)

    assert second.runs_added == 1  # late
    assert second.points_added == 2  # baseline's step 5 and late's first point
    assert second.runs_deleted == 1  # crashed, deleted in MLflow since
    assert SyncedRun.objects.get(mlflow_run_id=store["ids"]["crashed"]).is_deleted
    assert _run(project, "crashed").deleted_at is not None
    assert _run(project, "going").status == "FINISHED"
    assert run_points(run_id=baseline.pk, key="loss").steps.tolist() == [0, 1, 2, 3, 4, 5]
    assert _run(project, "late").external_id == more["late"]

    third = _sync(connection)

    assert (third.runs_added, third.runs_updated, third.points_added) == (0, 0, 0)
    assert project.runs.count() == 5 and project.runs.current().count() == 3
    # A visitor reads where the public numbers came from.
    public = client.get(reverse("public:project", args=[alice.profile.slug, project.slug]))
    assert f"MLflow run {store['ids']['baseline']}" in public.text
    assert f"Synced from {store['path']}" in public.text
