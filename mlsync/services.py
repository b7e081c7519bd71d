"""Writes of Sync from MLflow: connections (with their sealed credentials) and asking for a sync.

Credentials are write-only: a page can say which kind is saved (`credential_kind`) and offer to
keep, replace or remove them, but nothing here hands them back.
"""

from __future__ import annotations

import urllib.parse
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outbox.services import send_task_safely
from projects.models import Project

from .credentials import seal
from .models import (
    DEFAULT_SCHEDULE_MINUTES,
    ConnectionKind,
    CredentialKind,
    SyncRun,
    SyncState,
    TrackerConnection,
)
from .sources import SourceError, check_store_path

MAX_EXPERIMENTS = 50
MIN_SCHEDULE, MAX_SCHEDULE = 5, 7 * 24 * 60
KEEP, REPLACE, REMOVE = "keep", "replace", "remove"


def _server_url(raw: str) -> str:
    url = (raw or "").strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            {"server_url": "Give the tracking server's address, like https://mlflow.example.com."}
        )
    if parts.username or parts.password:
        raise ValidationError(
            {"server_url": "Leave the user name and password out of the address; use the fields."}
        )
    if parts.query or parts.fragment:
        raise ValidationError({"server_url": "Give the server's address without ? or #."})
    return url


def _experiments(raw: list[str] | str) -> list[str]:
    items = raw.replace(",", "\n").splitlines() if isinstance(raw, str) else list(raw)
    names = list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    if not names:
        raise ValidationError({"experiments": "Name at least one experiment, by name or id."})
    if len(names) > MAX_EXPERIMENTS:
        raise ValidationError({"experiments": f"Follow at most {MAX_EXPERIMENTS} experiments."})
    if any(len(name) > 500 for name in names):
        raise ValidationError({"experiments": "An experiment name is at most 500 characters."})
    return names


def _schedule(minutes: int) -> int:
    if not MIN_SCHEDULE <= minutes <= MAX_SCHEDULE:
        raise ValidationError(
            {"schedule_minutes": f"Sync every {MIN_SCHEDULE} minutes to once a week."}
        )
    return minutes


def _credentials(token: str, username: str, password: str) -> tuple[str, dict[str, str]]:
    token, username = (token or "").strip(), (username or "").strip()
    if token and (username or password):
        raise ValidationError({"token": "Give a token or a user name and password, not both."})
    if token:
        return CredentialKind.TOKEN, {"token": token}
    if username or password:
        if not (username and password):
            raise ValidationError({"password": "Give both the user name and the password."})
        return CredentialKind.BASIC, {"username": username, "password": password}
    return CredentialKind.NONE, {}


def _place(connection: TrackerConnection, kind: str, server_url: str, store_path: str) -> None:
    if kind == ConnectionKind.SERVER:
        connection.server_url, connection.store_path = _server_url(server_url), ""
    elif kind == ConnectionKind.STORE:
        try:
            connection.store_path = check_store_path(store_path)
        except SourceError as exc:
            raise ValidationError({"store_path": str(exc)}) from None
        connection.server_url = ""
    else:
        raise ValidationError({"kind": "Choose a tracking server or a store."})
    connection.kind = kind


def _set_credentials(connection: TrackerConnection, kind: str, creds: dict[str, str]) -> None:
    if connection.kind == ConnectionKind.STORE:
        kind, creds = CredentialKind.NONE, {}
    connection.credential_kind, connection.credentials = kind, seal(creds)


def connection_create(
    *,
    project: Project,
    kind: str,
    experiments: list[str] | str,
    server_url: str = "",
    store_path: str = "",
    token: str = "",
    username: str = "",
    password: str = "",
    schedule_minutes: int = DEFAULT_SCHEDULE_MINUTES,
    enabled: bool = True,
) -> TrackerConnection:
    """A new connection of the project; ValidationError (by field) when something is wrong."""
    connection = TrackerConnection(project=project, enabled=enabled)
    _place(connection, kind, server_url, store_path)
    connection.experiments = _experiments(experiments)
    connection.schedule_minutes = _schedule(schedule_minutes)
    _set_credentials(connection, *_credentials(token, username, password))
    connection.save()
    return connection


@transaction.atomic
def connection_update(
    *,
    connection: TrackerConnection,
    kind: str,
    experiments: list[str] | str,
    server_url: str = "",
    store_path: str = "",
    credentials: str = KEEP,
    token: str = "",
    username: str = "",
    password: str = "",
    schedule_minutes: int = DEFAULT_SCHEDULE_MINUTES,
    enabled: bool = True,
) -> TrackerConnection:
    """Change a connection; credentials: "keep" the saved ones, "replace" them with those
    given, or "remove" them. A new place to read starts the next sync from the beginning."""
    connection = TrackerConnection.objects.select_for_update().get(pk=connection.pk)
    before = (connection.kind, connection.label, list(connection.experiments))
    _place(connection, kind, server_url, store_path)
    connection.experiments = _experiments(experiments)
    connection.schedule_minutes = _schedule(schedule_minutes)
    connection.enabled = enabled
    if credentials == REPLACE:
        new = _credentials(token, username, password)
        if not new[0]:
            raise ValidationError({"token": "Give the new token, or user name and password."})
        _set_credentials(connection, *new)
    elif credentials == REMOVE or connection.kind == ConnectionKind.STORE:
        _set_credentials(connection, CredentialKind.NONE, {})
    elif credentials != KEEP:
        raise ValidationError({"credentials": "Keep, replace or remove the saved credentials."})
    if before != (connection.kind, connection.label, list(connection.experiments)):
        connection.cursor = None
    # A changed connection is tried at once and its failures counted afresh.
    connection.next_attempt_at = None
    connection.consecutive_failures, connection.failure_notified = 0, False
    connection.save()
    return connection


def connection_delete(*, connection: TrackerConnection) -> None:
    """Stop following: the connection and its reports go, the runs it brought in stay."""
    connection.delete()


def sync_now(*, connection: TrackerConnection, trigger: str = "sync now") -> SyncRun:
    """Queue a sync of the connection (sent to a worker after the commit); one already queued
    or running is returned instead of a second."""
    from .tasks import sync_connection

    with transaction.atomic():
        TrackerConnection.objects.select_for_update().filter(pk=connection.pk).first()
        waiting = connection.syncs.filter(state__in=(SyncState.QUEUED, SyncState.RUNNING))
        # A row older than any task may run belongs to a worker that died: closed, not waited on.
        lost = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
        waiting.filter(created_at__lt=lost).update(
            state=SyncState.FAILED,
            finished_at=timezone.now(),
            reason="The worker stopped before this sync ended; a new one was queued.",
        )
        waiting = waiting.first()
        if waiting is not None:
            return waiting
        sync = SyncRun.objects.create(connection=connection, trigger=trigger)
        send_task_safely(
            sync_connection,
            kwargs={"connection_id": connection.pk, "sync_id": sync.pk},
            owner=connection.project.owner_id,
            key=f"mlsync:{sync.pk}",
        )
    return sync
