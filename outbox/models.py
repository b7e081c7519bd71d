"""A Celery task that waits to be sent: written in the same transaction as the change that
asked for it, deleted once the broker has taken it (outbox/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxTask(models.Model):
    task = models.CharField(max_length=200, help_text="The Celery task's registered name.")
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # Whose work it is: their pages say so while it is delayed.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # At most one waiting task per key (a preview image of one page version, say).
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set while one process sends the task; a claim older than a few minutes was abandoned.
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "created_at"], name="outbox_owner_created")]

    def __str__(self) -> str:
        return f"{self.task} (waiting since {self.created_at:%Y-%m-%d %H:%M})"
