"""What a sync does when it cannot read its source, and when another sync holds the connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from mlsync import services, sync, tasks
from mlsync.models import SyncRun, SyncState, TrackerConnection
from outbox.models import OutboxTask
from tests.factories import create_project
from tests.mlflow_env import free_port


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Vision")


@pytest.fixture
def nowhere(project):
    """A connection to a port where nothing listens."""
    return services.connection_create(
        project=project,
        kind="server",
        server_url=f"http://127.0.0.1:{free_port()}",
        experiments=["cifar"],
    )


def test_an_unreachable_server_fails_the_sync_with_a_reason_and_backs_off(nowhere):
    first = sync.sync_connection_run(connection_id=nowhere.pk)
    assert first.state == SyncState.FAILED
    assert first.reason.startswith(f"Cannot reach the MLflow server at {nowhere.label}")
    assert "connection was refused" in first.reason
    nowhere.refresh_from_db()
    assert (nowhere.consecutive_failures, nowhere.cursor, nowhere.locked_by) == (1, None, "")
    waits = timedelta(minutes=1)
    assert abs(nowhere.next_attempt_at - (timezone.now() + waits)) < timedelta(seconds=5)
    assert not nowhere.is_due()

    sync.sync_connection_run(connection_id=nowhere.pk)
    nowhere.refresh_from_db()
    assert nowhere.consecutive_failures == 2
    assert nowhere.next_attempt_at - timezone.now() > timedelta(seconds=110)


def test_back_off_doubles_up_to_six_hours():
    assert [sync.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert sync.backoff(40) == timedelta(hours=6)


def test_the_owner_is_emailed_once_after_n_failures_in_a_row(nowhere, settings):
    settings.CAIRN_SYNC_NOTIFY_AFTER = 3
    emails = OutboxTask.objects.filter(task="portfolio.tasks.send_email")
    for _ in range(2):
        sync.sync_connection_run(connection_id=nowhere.pk)
    assert not emails.exists()
    for _ in range(3):
        sync.sync_connection_run(connection_id=nowhere.pk)
    assert emails.count() == 1
    mail = emails.get().kwargs
    assert mail["to"] == [nowhere.project.owner.email]
    assert "3 attempts in a row failed" in mail["body"] and "Cannot reach" in mail["body"]
    nowhere.refresh_from_db()
    assert nowhere.failure_notified and nowhere.consecutive_failures == 5


def test_a_second_sync_of_a_connection_held_by_another_does_not_start(nowhere):
    TrackerConnection.objects.filter(pk=nowhere.pk).update(
        locked_by="another-worker", locked_at=timezone.now()
    )
    queued = SyncRun.objects.create(connection=nowhere)
    with pytest.raises(sync.AlreadyRunning):
        sync.sync_connection_run(connection_id=nowhere.pk, sync_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.state, queued.reason) == (SyncState.FAILED, sync.ALREADY_RUNNING)
    nowhere.refresh_from_db()
    assert nowhere.consecutive_failures == 0 and nowhere.locked_by == "another-worker"
    assert tasks.sync_connection.apply(kwargs={"connection_id": nowhere.pk}).get() == (
        "already running"
    )


def test_a_lock_left_by_a_dead_worker_is_taken_over(nowhere, settings):
    old = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    TrackerConnection.objects.filter(pk=nowhere.pk).update(locked_by="dead", locked_at=old)
    assert sync.sync_connection_run(connection_id=nowhere.pk).state == SyncState.FAILED
    nowhere.refresh_from_db()
    assert nowhere.locked_by == ""


def test_sync_now_queues_one_sync_after_the_commit(nowhere, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.sync_now(connection=nowhere)
        second = services.sync_now(connection=nowhere)
    assert first == second and first.state == SyncState.QUEUED
    assert OutboxTask.objects.filter(task="mlsync.tasks.sync_connection").count() == 1
    assert callbacks
    done = tasks.sync_connection.apply(
        kwargs={"connection_id": nowhere.pk, "sync_id": first.pk}
    ).get()
    first.refresh_from_db()
    assert done == first.state == SyncState.FAILED and "Cannot reach" in first.reason


def test_beat_queues_only_connections_that_are_due(project, nowhere):
    later = services.connection_create(
        project=project, kind="server", server_url="http://127.0.0.1:1", experiments=["x"]
    )
    TrackerConnection.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    off = services.connection_create(
        project=project, kind="server", server_url="http://127.0.0.1:2", experiments=["x"]
    )
    TrackerConnection.objects.filter(pk=off.pk).update(enabled=False)
    assert tasks.sync_due_connections.apply().get() == 1
    assert list(SyncRun.objects.values_list("connection_id", "state")) == [
        (nowhere.pk, SyncState.QUEUED)
    ]


def test_the_command_syncs_and_reports_and_fails_loudly(alice, project, nowhere, capsys):
    with pytest.raises(CommandError, match="1 sync failed"):
        call_command("sync_trackers", "--project", f"alice/{project.slug}")
    out = capsys.readouterr().out
    assert f"alice/{project.slug} from {nowhere.label}: failed. Cannot reach" in out
    with pytest.raises(CommandError, match="No project alice/nope"):
        call_command("sync_trackers", "--project", "alice/nope")
    TrackerConnection.objects.all().delete()
    call_command("sync_trackers")
    assert "No MLflow connection to sync." in capsys.readouterr().out
