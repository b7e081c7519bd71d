"""Runs as the MLflow API makes them, for tests that need one without going through the API."""

from __future__ import annotations

import hashlib
import uuid as uuidlib

import numpy as np
from django.utils import timezone

from projects.models import ExperimentImport, ImportStatus, MetricSeries, PendingPoints, Run
from projects.series import VALUE_DTYPE, pack, pack_steps, summarise
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
    return LiveRun.objects.create(
        run=run,
        uuid=run_uuid,
        user=project.owner,
        status=status,
        start_time=int(timezone.now().timestamp() * 1000),
    )


def append_points(live: LiveRun, key: str, steps, values, times_ms=None) -> PendingPoints:
    """One call's points of key appended to the run, as log-batch stores them."""
    steps = np.asarray(steps, dtype="<i8")
    values = np.asarray(values, dtype="<f8")
    now_ms = int(timezone.now().timestamp() * 1000)
    times = np.asarray(times_ms if times_ms is not None else [now_ms] * len(steps), dtype="<i8")
    digest = hashlib.md5(steps.tobytes() + times.tobytes() + values.tobytes()).hexdigest()  # noqa: S324
    row = PendingPoints.objects.create(
        run=live.run,
        key=key,
        digest=digest,
        count=len(steps),
        steps=steps.tobytes(),
        timestamps=times.tobytes(),
        values=values.tobytes(),
    )
    LiveRun.objects.filter(pk=live.pk).update(last_point_at=timezone.now())
    return row


def series(live: LiveRun, key: str, steps, values) -> MetricSeries:
    """A metric series of the run, as folding leaves it."""
    steps = np.asarray(steps, dtype="<i8")
    values = np.asarray(values, dtype="<f8")
    summary = summarise(values)
    run = live.run
    run.summary = {**run.summary, key: summary}
    run.save(update_fields=["summary"])
    return MetricSeries.objects.create(
        run=run,
        key=key,
        count=len(steps),
        steps=pack_steps(steps),
        values=pack(values, VALUE_DTYPE),
        last=summary["last"],
        min=summary["min"],
        max=summary["max"],
    )


def end_run(live: LiveRun, status: str = RunStatus.FINISHED) -> None:
    """The run ended as end_run(status=...) ends it: both statuses, and the end time."""
    LiveRun.objects.filter(pk=live.pk).update(
        status=status, end_time=int(timezone.now().timestamp() * 1000)
    )
    Run.objects.filter(pk=live.run_id).update(status=status)
