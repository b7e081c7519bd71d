"""Connections to an MLflow tracking server or store, the syncs that read them, and which Cairn
run each MLflow run became.

A synced MLflow run is a projects.Run with an ExperimentImport of its own (format
SYNC_FORMAT, no files), as a run logged live is, so every page that reads imported runs reads
these too; `SyncedRun` beside it keys it by (connection, MLflow run id), so a sync updates the
run it made before and never makes a second one.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

DEFAULT_SCHEDULE_MINUTES = 15


class ConnectionKind(models.TextChoices):
    SERVER = "server", "MLflow tracking server"
    STORE = "store", "MLflow store on the workers' machine"


class CredentialKind(models.TextChoices):
    NONE = "", "None"
    TOKEN = "token", "Token"
    BASIC = "basic", "User name and password"


class TrackerConnection(models.Model):
    """Where a project's runs are pulled from, what to follow there, and how the pulls go."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="tracker_connections"
    )
    kind = models.CharField(max_length=10, choices=ConnectionKind.choices)
    server_url = models.URLField(max_length=500, blank=True)
    store_path = models.CharField(max_length=1000, blank=True)
    # MLflow experiment names or ids, as the owner typed them.
    experiments = models.JSONField(default=list, blank=True)
    # Fernet-encrypted JSON, {"token": …} or {"username": …, "password": …} (credentials.py),
    # never shown again. credential_kind says which, so pages can say "a token is saved".
    credentials = models.BinaryField(default=b"", blank=True)
    credential_kind = models.CharField(
        max_length=10, choices=CredentialKind.choices, default=CredentialKind.NONE, blank=True
    )
    schedule_minutes = models.PositiveIntegerField(default=DEFAULT_SCHEDULE_MINUTES)
    enabled = models.BooleanField(default=True)
    # The state of the pulls.
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Milliseconds since the epoch when the last successful sync started: the next one asks for
    # runs created or ended since then, less an overlap margin (mlsync/sync.py).
    cursor = models.BigIntegerField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failure_notified = models.BooleanField(default=False)
    # When the beat task may try again: the schedule after a success, back-off after failures.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The lock: the sync that holds the connection, and when it last said it was alive.
    locked_by = models.CharField(max_length=64, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The server's URL (never with credentials) or the store's path."""
        return self.server_url if self.kind == ConnectionKind.SERVER else self.store_path

    @property
    def has_credentials(self) -> bool:
        return bool(self.credential_kind)

    def is_due(self, now=None) -> bool:
        now = now or timezone.now()
        return self.enabled and (self.next_attempt_at is None or self.next_attempt_at <= now)


class SyncState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    """One pull of a connection, with its report: what it added and why it failed."""

    connection = models.ForeignKey(
        TrackerConnection, on_delete=models.CASCADE, related_name="syncs"
    )
    state = models.CharField(
        max_length=10, choices=SyncState.choices, default=SyncState.QUEUED, db_index=True
    )
    # Who asked: "schedule", "sync now", "command", "retry".
    trigger = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs_added = models.PositiveIntegerField(default=0)
    runs_updated = models.PositiveIntegerField(default=0)
    runs_deleted = models.PositiveIntegerField(default=0)
    runs_unchanged = models.PositiveIntegerField(default=0)
    points_added = models.BigIntegerField(default=0)
    # Requests or files read, for the report ("42 history requests").
    history_requests = models.PositiveIntegerField(default=0)
    # Problems that did not stop the sync: [{"run": id, "message": text}].
    errors = models.JSONField(default=list, blank=True)
    # Why the sync failed, in words the owner can act on; blank when it did not.
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sync {self.pk} of {self.connection_id} ({self.state})"

    @property
    def is_done(self) -> bool:
        return self.state in (SyncState.SUCCEEDED, SyncState.FAILED)


class SyncedRun(models.Model):
    """Which Cairn run an MLflow run became, and what it looked like at the last sync."""

    connection = models.ForeignKey(
        TrackerConnection, on_delete=models.CASCADE, related_name="synced_runs"
    )
    mlflow_run_id = models.CharField(max_length=64)
    run = models.OneToOneField("projects.Run", on_delete=models.CASCADE, related_name="synced")
    experiment_id = models.CharField(max_length=64)
    experiment_name = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, blank=True)
    lifecycle_stage = models.CharField(max_length=10, default="active")
    # A digest of the name, status, times, lifecycle, params and tags: unchanged means no write.
    fingerprint = models.CharField(max_length=64, blank=True)
    # {key: [step, timestamp]} of the newest point stored per metric, so a sync asks only for
    # metrics with newer points, and only from that step on.
    latest = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "mlflow_run_id"], name="synced_run_once_per_connection"
            )
        ]

    def __str__(self) -> str:
        return self.mlflow_run_id

    @property
    def is_deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"
