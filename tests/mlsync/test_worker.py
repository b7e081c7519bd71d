"""A sync asked for from the page's service runs in a real Celery worker process."""

from __future__ import annotations

import uuid

import pytest

from mlsync import services
from mlsync.models import SyncRun, SyncState
from projects.models import Run
from tests.factories import create_project
from tests.mlsync.mlflow_log import mlflow_log, steps
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_sync_now_is_carried_out_by_a_worker_process(mlflow_server, alice):
    experiment = f"worker-{uuid.uuid4().hex[:8]}"
    ids = mlflow_log(
        mlflow_server,
        experiment,
        [
            {
                "op": "run",
                "as": "a",
                "name": "a",
                "metrics": {"loss": steps(30)},
                "status": "FINISHED",
            }
        ],
    )
    project = create_project(owner=alice, title="Worker sync")
    conn = services.connection_create(
        project=project, kind="server", server_url=mlflow_server.url, experiments=[experiment]
    )
    with celery_worker():
        queued = services.sync_now(connection=conn)

        def done():
            queued.refresh_from_db()
            return queued.is_done

        wait_for(done, timeout=120)

    assert (queued.state, queued.runs_added, queued.points_added) == (SyncState.SUCCEEDED, 1, 30)
    assert Run.objects.get(project=project).external_id == ids["a"]
    assert SyncRun.objects.filter(connection=conn).count() == 1
