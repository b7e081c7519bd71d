"""One MLflow run written into Cairn, whole or not at all.

A synced run is stored as imports and live logging store theirs: a projects.Run with an
ExperimentImport of its own (format SYNC_FORMAT, no files; its report is the provenance), its
points appended through projects.appends (the digest and merge rules that keep identical points
once) and folded into the columnar series at once. Each run is one transaction: a sync that stops
halfway leaves whole runs behind it and none in part.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from projects import appends
from projects.appends import Points
from projects.models import ExperimentImport, ImportStatus, Run
from projects.provenance import SYNC_FORMAT
from projects.signals import import_succeeded, runs_deleted_or_restored, send_safely

from .models import SyncedRun, TrackerConnection
from .sources.base import Point, RemoteExperiment, RemoteRun

SYNC_VERSION = "mlflow-sync 1"
ADDED, UPDATED, DELETED, UNCHANGED = "added", "updated", "deleted", "unchanged"


@dataclass
class RunPlan:
    """What a sync will do with one MLflow run: its state now, and which metrics to read."""

    remote: RemoteRun
    experiment: RemoteExperiment
    synced: SyncedRun | None
    fingerprint: str
    # Metrics to read, each from the step Cairn already has (None: every point).
    keys: dict[str, int | None] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.synced is None or bool(self.keys) or self.synced.fingerprint != self.fingerprint


def fingerprint(run: RemoteRun) -> str:
    """A digest of everything about the run but its points."""
    state = [run.name, run.status, run.start_time, run.end_time, run.lifecycle_stage]
    state += [sorted(run.params.items()), sorted(run.tags.items())]
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def plan(remote: RemoteRun, experiment: RemoteExperiment, synced: SyncedRun | None) -> RunPlan:
    """Which of the run's metrics have points Cairn does not have, and from which step."""
    have = synced.latest if synced else {}
    keys: dict[str, int | None] = {}
    if remote.latest:
        for key, point in remote.latest.items():
            mine = have.get(key)
            if mine != [point.step, point.timestamp]:
                keys[key] = mine[0] if mine else None
    elif (
        synced is None
        or remote.last_metric_time is None
        or remote.last_metric_time > max((ts for _, ts in have.values()), default=-1)
    ):
        # The source says nothing per metric: read every metric it names, whole.
        keys = dict.fromkeys(remote.metric_keys)
    return RunPlan(remote, experiment, synced, fingerprint(remote), keys)


def _as_points(points: list[Point]) -> Points:
    return Points(
        np.fromiter((p.step for p in points), dtype="<i8", count=len(points)),
        np.fromiter((p.timestamp for p in points), dtype="<i8", count=len(points)),
        np.fromiter((p.value for p in points), dtype="<f8", count=len(points)),
    )


def _only_new(run: Run, key: str, fetched: Points) -> Points:
    """The fetched points Cairn does not hold yet (same step, time and value bits: the same)."""
    if not len(fetched) or key not in run.summary:
        return fetched
    held = appends.run_points(run_id=run.pk, key=key)
    low = fetched.steps.min()
    mask = held.steps >= low
    known = set(
        zip(
            held.steps[mask].tolist(),
            held.timestamps[mask].tolist(),
            held.values[mask].view(np.int64).tolist(),
            strict=True,
        )
    )
    if not known:
        return fetched
    bits = fetched.values.view(np.int64)
    keep = np.fromiter(
        (
            (s, t, b) not in known
            for s, t, b in zip(
                fetched.steps.tolist(), fetched.timestamps.tolist(), bits.tolist(), strict=True
            )
        ),
        dtype=bool,
        count=len(fetched),
    )
    return Points(fetched.steps[keep], fetched.timestamps[keep], fetched.values[keep])


def _ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if value is not None else None


def _report(connection: TrackerConnection, item: RunPlan, now: datetime, old: dict) -> dict:
    remote = item.remote
    deleted_at = old.get("deleted_at") if remote.lifecycle_stage == "deleted" else None
    if remote.lifecycle_stage == "deleted" and not deleted_at:
        deleted_at = now.isoformat()
    return {
        **old,
        "source": connection.label,
        "kind": connection.kind,
        "experiment_id": item.experiment.experiment_id,
        "experiment_name": item.experiment.name,
        "run_id": remote.run_id,
        "status": remote.status,
        "lifecycle_stage": remote.lifecycle_stage,
        "synced_at": now.isoformat(),
        "deleted_at": deleted_at,
    }


def _new_run(connection: TrackerConnection, item: RunPlan, now: datetime) -> SyncedRun:
    """The Cairn run for an MLflow run seen for the first time (or the one an earlier
    connection to the same place made, taken over)."""
    project, remote = connection.project, item.remote
    sha = hashlib.sha256(f"{SYNC_FORMAT}:{connection.label}:{remote.run_id}".encode()).hexdigest()
    imp = ExperimentImport.objects.filter(project=project, sha256=sha).first()
    run = imp.runs.filter(synced__isnull=True).first() if imp else None
    if run is None:
        if imp is not None:
            imp.delete()
        imp = ExperimentImport.objects.create(
            project=project,
            uploaded_by_id=project.owner_id,
            original_name=f"MLflow: {remote.name}"[:255],
            sha256=sha,
            size=0,
            requested_format=SYNC_FORMAT,
            detected_format=SYNC_FORMAT,
            status=ImportStatus.SUCCEEDED,
            progress=1.0,
            runs_count=1,
            importer_version=SYNC_VERSION,
            started_at=now,
        )
        run = Run.objects.create(
            project=project,
            experiment_import=imp,
            name=remote.name[:255],
            external_id=remote.run_id,
        )
    return SyncedRun(
        connection=connection,
        mlflow_run_id=remote.run_id,
        run=run,
        experiment_id=item.experiment.experiment_id,
        synced_at=now,
    )


def run_write(
    *, connection: TrackerConnection, item: RunPlan, points: dict[str, list[Point]]
) -> tuple[str, int]:
    """Write one MLflow run (fields, new points, provenance) in one transaction; what happened
    to it (added, updated, deleted) and how many points were new."""
    remote, now = item.remote, timezone.now()
    with transaction.atomic():
        if item.synced is None:
            synced, outcome = _new_run(connection, item, now), ADDED
        else:
            synced = (
                SyncedRun.objects.select_for_update().select_related("run").get(pk=item.synced.pk)
            )
            outcome = UPDATED
        run = Run.objects.select_for_update().get(pk=synced.run_id)
        was_deleted, deleted = synced.is_deleted, remote.lifecycle_stage == "deleted"
        run.name, run.params, run.tags = remote.name[:255], remote.params, remote.tags
        run.status, run.started_at = remote.status, _ms(remote.start_time)
        # As live logging marks a run MLflow deleted: kept whole, listed nowhere (Run.current).
        run.deleted_at = (run.deleted_at or now) if deleted else None
        run.save(update_fields=["name", "params", "tags", "status", "started_at", "deleted_at"])
        batches = {}
        for key, got in points.items():
            new = _only_new(run, key, _as_points(got))
            if len(new):
                batches[key] = new
        appends.points_append(run_id=run.pk, summary=run.summary, batches=batches)
        if batches:
            appends.series_fold(run_id=run.pk)
        imp = ExperimentImport.objects.get(pk=run.experiment_import_id)
        report = _report(connection, item, now, imp.report or {})
        ExperimentImport.objects.filter(pk=imp.pk).update(
            report=report, finished_at=now, original_name=f"MLflow: {remote.name}"[:255]
        )
        latest = dict(synced.latest)
        for key in points:
            if key in remote.latest:
                latest[key] = [remote.latest[key].step, remote.latest[key].timestamp]
            elif points[key]:
                last = max(points[key], key=lambda p: (p.step, p.timestamp))
                latest[key] = [last.step, last.timestamp]
        synced.latest, synced.fingerprint, synced.synced_at = latest, item.fingerprint, now
        synced.status, synced.lifecycle_stage = remote.status, remote.lifecycle_stage
        synced.experiment_id = item.experiment.experiment_id
        synced.experiment_name = item.experiment.name[:500]
        synced.deleted_at = run.deleted_at
        synced.save()
        if item.synced is not None and deleted != was_deleted:
            outcome = DELETED if deleted else outcome
            transaction.on_commit(
                lambda: send_safely(runs_deleted_or_restored, experiment_import=imp)
            )
        transaction.on_commit(lambda: send_safely(import_succeeded, experiment_import=imp))
    return outcome, sum(len(p) for p in batches.values())
