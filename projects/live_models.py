"""Models of live logging: points that training code appends to a run before they are folded
into its MetricSeries, and the artifacts it logs. Part of the projects app (imported by
projects/models.py, which the migrations name)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from .models import Run


class PendingPoints(models.Model):
    """Points of one metric appended to a run (live logging) and not yet folded into its
    MetricSeries: the append table of projects.appends. Each row is one call's points of one
    key as columnar arrays, so a call of 1,000 points over 10 keys is 10 rows."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="pending_points")
    key = models.CharField(max_length=255)
    # A digest of the points (steps, timestamps, values): the same points sent again, as a
    # client's retry does, hit the unique constraint and are stored once.
    digest = models.CharField(max_length=32)
    count = models.PositiveIntegerField()
    # Little-endian int64 steps, int64 timestamps (ms since the epoch, as MLflow sends them)
    # and float64 values (NaN and infinities kept), each exactly `count` long.
    steps = models.BinaryField()
    timestamps = models.BinaryField()
    values = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key", "digest"], name="pending_points_once")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key}+{self.count}"


def artifact_storage():
    """Where logged artifacts live: STORAGES["artifacts"], never served as media."""
    from django.core.files.storage import storages

    return storages["artifacts"]


def artifact_upload_to(instance: RunArtifact, filename: str) -> str:
    return f"{instance.run.project_id}/{instance.run_id}/{instance.sha256[:16]}/{filename}"


class ArtifactKind(models.TextChoices):
    # Decided from the bytes (images by their magic numbers), never from the client's name or
    # Content-Type alone: it sets how the file may be served (projects/artifacts.py).
    IMAGE = "image", "Image"
    TEXT = "text", "Text"
    JSON = "json", "JSON"
    BINARY = "binary", "File"


class RunArtifact(models.Model):
    """A file that training code logged for a run (mlflow.log_artifact, log_figure, log_text,
    log_dict), at its path under the run's artifact root."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts")
    path = models.CharField(max_length=500)
    file = models.FileField(storage=artifact_storage, upload_to=artifact_upload_to, max_length=700)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=ArtifactKind.choices)
    # Only for images: the type their bytes are (image/png, image/jpeg, image/gif, image/webp).
    content_type = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["run", "path"], name="artifact_once_per_path")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.path}"

    def get_absolute_url(self) -> str:
        return reverse("projects:artifact", args=[self.pk])

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def file_url(self) -> str:
        return reverse("projects:artifact-file", args=[self.pk, self.name])
