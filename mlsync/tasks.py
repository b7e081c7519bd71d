"""Celery tasks of Sync from MLflow: thin, they load by id and call the engine (sync.py)."""

from __future__ import annotations

from celery import shared_task

from . import services, sync
from .models import TrackerConnection


@shared_task(ignore_result=True, time_limit=30 * 60, soft_time_limit=29 * 60)
def sync_connection(*, connection_id: int, sync_id: int | None = None) -> str:
    """Pull one connection now; 'already running' when another sync holds it."""
    try:
        return sync.sync_connection_run(
            connection_id=connection_id, sync_id=sync_id, trigger="schedule"
        ).state
    except sync.AlreadyRunning:
        return "already running"


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def sync_due_connections() -> int:
    """Celery beat, every CAIRN_SYNC_BEAT_SECONDS: queue a sync of each connection that is due
    (its schedule, or its back-off after a failure)."""
    queued = 0
    for connection in TrackerConnection.objects.filter(pk__in=sync.due_connections()):
        trigger = "retry" if connection.consecutive_failures else "schedule"
        services.sync_now(connection=connection, trigger=trigger)
        queued += 1
    return queued
