"""Runs as the MLflow API makes them, for tests that need one without going through the API."""

from __future__ import annotations

import hashlib
import uuid as uuidlib

from projects.models import ExperimentImport, ImportStatus, Run
from tracking.models import LiveRun, RunStatus


def live_run(project, *, name: str = "live-run", status: str = RunStatus.RUNNING) -> LiveRun:
    """A run of project logged through the MLflow API: its import, Cairn run and LiveRun."""
    run_uuid = uuidlib.uuid4().hex
    imp = ExperimentImport.objects.create(
        project=project,
        uploaded_by=project.owner,
        original_name=f"MLflow run {run_uuid}",
        sha256=hashlib.sha256(f"mlflow-api:{run_uuid}".encode()).hexdigest(),
        size=0,
        detected_format="mlflow-api",
        status=ImportStatus.SUCCEEDED,
    )
    run = Run.objects.create(
        project=project, experiment_import=imp, name=name, external_id=run_uuid, status=status
    )
    return LiveRun.objects.create(run=run, uuid=run_uuid, user=project.owner, status=status)
