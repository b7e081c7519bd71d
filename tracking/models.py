"""Runs logged live through the MLflow API: their MLflow identity beside the Cairn run.

An MLflow experiment is one of the token owner's projects (experiment_id = project id); an
MLflow run is a projects.Run (with an ExperimentImport of format "mlflow-api" as its source, so
everything that reads imported runs reads these too) plus the LiveRun below. Points go to the
append table projects.PendingPoints and are folded into MetricSeries (projects.appends).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running"
    SCHEDULED = "SCHEDULED", "Scheduled"
    FINISHED = "FINISHED", "Finished"
    FAILED = "FAILED", "Failed"
    KILLED = "KILLED", "Killed"


class LifecycleStage(models.TextChoices):
    ACTIVE = "active", "Active"
    DELETED = "deleted", "Deleted"


class LiveRunQuerySet(models.QuerySet):
    def owned_by(self, user) -> LiveRunQuerySet:
        """The one scope of the MLflow API: a token reaches only its owner's runs."""
        return self.filter(run__project__owner=user)


class LiveRun(models.Model):
    """An MLflow run: its 32-hex run id, status, lifecycle and where its points came from."""

    run = models.OneToOneField("projects.Run", on_delete=models.CASCADE, related_name="live")
    uuid = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING, db_index=True
    )
    lifecycle_stage = models.CharField(
        max_length=10, choices=LifecycleStage.choices, default=LifecycleStage.ACTIVE
    )
    # Milliseconds since the epoch, as MLflow keeps them.
    start_time = models.BigIntegerField(null=True, blank=True)
    end_time = models.BigIntegerField(null=True, blank=True)
    deleted_time = models.BigIntegerField(null=True, blank=True)
    # Provenance: "logged through the MLflow API by <client> from <host>, token <prefix>".
    client = models.CharField(max_length=200, blank=True)
    host = models.CharField(max_length=100, blank=True)
    token_prefix = models.CharField(max_length=16, blank=True)
    first_point_at = models.DateTimeField(null=True, blank=True)
    last_point_at = models.DateTimeField(null=True, blank=True)
    # When points were last folded into the columnar series (projects.appends.series_fold).
    folded_at = models.DateTimeField(null=True, blank=True)
    # When the run's end was announced (tracking.finishing): once, whatever the retries.
    announced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LiveRunQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return self.uuid

    @property
    def is_running(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.SCHEDULED)

    def provenance(self) -> str:
        """One line a reader can check: which client, from where, with which token."""
        client = self.client or "an unknown client"
        return (
            f"logged through the MLflow API by {client} from {self.host or 'an unknown host'}, "
            f"token {self.token_prefix or '?'}"
        )


class ExperimentTag(models.Model):
    """A tag set on an MLflow experiment (a project) by set-experiment-tag or create."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="mlflow_tags"
    )
    key = models.CharField(max_length=250)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="experiment_tag_once")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.key}"
