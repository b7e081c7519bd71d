"""The sync engine: one pull of a connection, incremental and idempotent.

1. Claim the connection (an atomic UPDATE of its lock: two syncs of one connection never run at
   once, on SQLite as on PostgreSQL; a lock not refreshed for longer than a task may run is
   taken over).
2. Ask the source for the followed experiments, then for the runs created or ended since the
   cursor (the start of the last successful sync, less CAIRN_SYNC_OVERLAP_SECONDS since clocks
   differ), the deleted ones, and the runs that were still running at the last sync.
3. Compare each run with what Cairn has (a fingerprint of its fields, the newest point of each
   metric): unchanged runs cost nothing more; for the others, read only the metrics with newer
   points, from the step Cairn has, in bulk; a server's next chunk of runs is read while the
   last one is written.
4. Write each run in a transaction of its own (writes.run_write), so a sync that fails halfway
   leaves whole runs behind it, never part of one; the cursor moves only when all went well.
5. Record the outcome: the report on the SyncRun row; on failure the reason, back-off before the
   next attempt, and the owner told once after CAIRN_SYNC_NOTIFY_AFTER failures in a row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from outbox.services import send_task_safely

from .models import SyncedRun, SyncRun, SyncState, TrackerConnection
from .sources import SourceError, source_for
from .sources.base import Incremental, Point, RemoteRun
from .writes import ADDED, DELETED, UPDATED, RunPlan, plan, run_write

log = logging.getLogger(__name__)

CHUNK = 50  # runs whose histories are read (and kept in memory) at a time
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MOST = timedelta(hours=6)
ALREADY_RUNNING = "A sync of this connection is already running; this one did not start."


class AlreadyRunning(Exception):
    """Another sync holds the connection."""


def _stale_lock() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def _now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


def _claim(connection_id: int, token: str) -> TrackerConnection:
    now = timezone.now()
    free = Q(locked_by="") | Q(locked_at__lt=now - _stale_lock())
    taken = TrackerConnection.objects.filter(free, pk=connection_id).update(
        locked_by=token, locked_at=now
    )
    if not taken:
        raise AlreadyRunning(ALREADY_RUNNING)
    return TrackerConnection.objects.select_related("project__owner").get(pk=connection_id)


def _release(connection_id: int, token: str) -> None:
    TrackerConnection.objects.filter(pk=connection_id, locked_by=token).update(
        locked_by="", locked_at=None
    )


def backoff(failures: int) -> timedelta:
    """How long to wait after this many failures in a row: 1, 2, 4 … minutes, at most 6 hours."""
    return min(BACKOFF_FIRST * 2 ** max(0, failures - 1), BACKOFF_MOST)


def sync_connection_run(
    *, connection_id: int, sync_id: int | None = None, trigger: str = "schedule"
) -> SyncRun:
    """Pull the connection once and return the sync's row (succeeded or failed, with its
    report); AlreadyRunning when another sync holds the connection (a queued row given as
    sync_id is closed saying so, and counts as no failure)."""
    token = uuid.uuid4().hex
    try:
        connection = _claim(connection_id, token)
    except AlreadyRunning:
        if sync_id is not None:
            SyncRun.objects.filter(pk=sync_id, state=SyncState.QUEUED).update(
                state=SyncState.FAILED, reason=ALREADY_RUNNING, finished_at=timezone.now()
            )
        raise
    try:
        sync = _open(connection, sync_id, trigger)
        try:
            _pull(connection, sync, token)
        except SourceError as exc:
            _failed(connection, sync, str(exc))
        except Exception as exc:
            log.exception("Sync %s of connection %s failed", sync.pk, connection.pk)
            _failed(connection, sync, f"Cairn failed while syncing ({type(exc).__name__}).")
        else:
            _succeeded(connection, sync)
        return sync
    finally:
        _release(connection_id, token)


def _open(connection: TrackerConnection, sync_id: int | None, trigger: str) -> SyncRun:
    now = timezone.now()
    sync = SyncRun.objects.filter(pk=sync_id, connection=connection).first() if sync_id else None
    if sync is None or sync.is_done:
        sync = SyncRun(connection=connection, trigger=trigger)
    sync.state, sync.started_at = SyncState.RUNNING, now
    sync.save()
    return sync


def _runs(source, connection: TrackerConnection, experiment_ids: list[str]) -> list[RemoteRun]:
    """The runs this sync looks at: the source's window, and runs it must look at again."""
    since = None
    if connection.cursor is not None:
        since = connection.cursor - settings.CAIRN_SYNC_OVERLAP_SECONDS * 1000
    found = {run.run_id: run for run in source.runs(experiment_ids, since)}
    if since is not None and isinstance(source, Incremental):
        # Running at the last sync (they may have ended or logged more), or deleted then and not
        # listed among the deleted now (restored): asked for by id.
        again = SyncedRun.objects.filter(connection=connection).filter(
            Q(status__in=("RUNNING", "SCHEDULED"), lifecycle_stage="active")
            | Q(lifecycle_stage="deleted")
        )
        ids = [i for i in again.values_list("mlflow_run_id", flat=True) if i not in found]
        found.update((run.run_id, run) for run in source.runs_by_id(ids))
    return [run for run in found.values() if run.experiment_id in experiment_ids]


def _pull(connection: TrackerConnection, sync: SyncRun, token: str) -> None:
    started_ms = _now_ms()
    source = source_for(connection)
    experiments = {e.experiment_id: e for e in source.experiments(connection.experiments)}
    remote = _runs(source, connection, list(experiments))
    held = {
        s.mlflow_run_id: s
        for s in SyncedRun.objects.filter(
            connection=connection, mlflow_run_id__in=[r.run_id for r in remote]
        )
    }
    plans = [plan(r, experiments[r.experiment_id], held.get(r.run_id)) for r in remote]
    changed = [item for item in plans if item.changed]
    sync.runs_unchanged = len(plans) - len(changed)
    chunks = [changed[start : start + CHUNK] for start in range(0, len(changed), CHUNK)]
    for chunk, points in _fetched(source, chunks):
        for item in chunk:
            try:
                outcome, added = run_write(
                    connection=connection, item=item, points=points.get(item.remote.run_id, {})
                )
            except ValueError as exc:
                sync.errors.append({"run": item.remote.run_id, "message": str(exc)[:500]})
                continue
            sync.points_added += added
            sync.runs_added += outcome == ADDED
            sync.runs_updated += outcome == UPDATED
            sync.runs_deleted += outcome == DELETED
        sync.history_requests = len(getattr(source, "history_requests", ()))
        sync.save()
        # Still alive: the lock is not taken over while a long sync goes on.
        TrackerConnection.objects.filter(pk=connection.pk, locked_by=token).update(
            locked_at=timezone.now()
        )
    sync.history_requests = len(getattr(source, "history_requests", ()))
    connection.cursor = started_ms


def _fetch(source, chunk: list[RunPlan]) -> dict[str, dict[str, list[Point]]]:
    wanted = [(item.remote, item.keys) for item in chunk if item.keys]
    if isinstance(source, Incremental):
        return source.histories(wanted) if wanted else {}
    return {run.run_id: source.history(run, list(keys)) for run, keys in wanted}


def _fetched(source, chunks: list[list[RunPlan]]) -> Iterator[tuple[list[RunPlan], dict]]:
    """Each chunk with its points. A server's next chunk is read in a thread while this one is
    written (the waits on the network and on the database overlap); the thread only talks
    HTTP. A store is read in this thread (its SQLite connection belongs to it)."""
    if not isinstance(source, Incremental):
        for chunk in chunks:
            yield chunk, _fetch(source, chunk)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlsync-fetch") as pool:
        ahead = pool.submit(_fetch, source, chunks[0]) if chunks else None
        for n, chunk in enumerate(chunks):
            points = ahead.result()
            ahead = pool.submit(_fetch, source, chunks[n + 1]) if n + 1 < len(chunks) else None
            try:
                yield chunk, points
            except GeneratorExit:
                if ahead is not None:
                    ahead.cancel()
                raise


def _succeeded(connection: TrackerConnection, sync: SyncRun) -> None:
    now = timezone.now()
    sync.state, sync.finished_at, sync.reason = SyncState.SUCCEEDED, now, ""
    sync.save()
    TrackerConnection.objects.filter(pk=connection.pk).update(
        cursor=connection.cursor,
        last_success_at=now,
        consecutive_failures=0,
        failure_notified=False,
        next_attempt_at=now + timedelta(minutes=connection.schedule_minutes),
    )


def _failed(connection: TrackerConnection, sync: SyncRun, reason: str) -> None:
    now = timezone.now()
    sync.state, sync.finished_at, sync.reason = SyncState.FAILED, now, reason
    sync.save()
    connection.refresh_from_db()
    failures = connection.consecutive_failures + 1
    notify = failures >= settings.CAIRN_SYNC_NOTIFY_AFTER and not connection.failure_notified
    TrackerConnection.objects.filter(pk=connection.pk).update(
        consecutive_failures=failures,
        failure_notified=connection.failure_notified or notify,
        next_attempt_at=now + backoff(failures),
    )
    if notify:
        _tell_owner(connection, failures, reason)


def _tell_owner(connection: TrackerConnection, failures: int, reason: str) -> None:
    """One email to the project's owner (through the outbox), sent once per run of failures."""
    owner = connection.project.owner
    if not owner.email:
        return
    body = (
        f"Cairn could not sync “{connection.project.title}” from {connection.label}: "
        f"{failures} attempts in a row failed.\n\nThe last one said: {reason}\n\n"
        "Cairn keeps trying, less and less often; this is the only email until a sync "
        "succeeds again. Check the connection in the project's settings."
    )
    send_task_safely(
        "portfolio.tasks.send_email",
        kwargs={
            "subject": f"Sync from MLflow is failing for {connection.project.title}"[:150],
            "body": body,
            "to": [owner.email],
        },
        owner=owner,
    )


def due_connections() -> list[int]:
    """Ids of the enabled connections whose next sync is due."""
    now = timezone.now()
    due = TrackerConnection.objects.filter(enabled=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return list(due.values_list("pk", flat=True))
