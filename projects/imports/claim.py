"""A worker's hold on an import: the atomic claim, its heartbeat and progress, and the failure
it ends with when it cannot finish."""

from __future__ import annotations

import logging
import threading
import time

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from ..models import ExperimentImport, ImportStatus
from .lifecycle import stale_after

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds, at most: a quarter of the stale time when that is shorter
PROGRESS_EVERY = 0.5  # seconds between progress writes


def _claim(import_id: int, token: str) -> ExperimentImport | None:
    """Take the import for this worker, or None when it is done or another has it."""
    now = timezone.now()
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, heartbeat_at__lt=now - stale_after()
    )
    # The same task delivered again after its worker died may take its own row back.
    claimable |= Q(status=ImportStatus.RUNNING, claimed_by=token)
    claimed = ExperimentImport.objects.filter(claimable, pk=import_id).update(
        status=ImportStatus.RUNNING,
        claimed_by=token,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        progress=0.0,
        message="Reading the file",
    )
    return ExperimentImport.objects.get(pk=import_id) if claimed else None


def _fail(imp: ExperimentImport, message: str, report: dict | None = None) -> None:
    ExperimentImport.objects.filter(
        pk=imp.pk, status=ImportStatus.RUNNING, claimed_by=imp.claimed_by
    ).update(
        status=ImportStatus.FAILED,
        message=message,
        report=report or {},
        finished_at=timezone.now(),
        progress=0.0,
    )


class _Progress:
    """Writes progress to the row at most every PROGRESS_EVERY seconds."""

    def __init__(self, imp: ExperimentImport, start: float, end: float):
        self.imp, self.start, self.end, self.last = imp, start, end, 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        ExperimentImport.objects.filter(pk=self.imp.pk, status=ImportStatus.RUNNING).update(
            progress=self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)),
            heartbeat_at=timezone.now(),
        )


class _Heartbeat(threading.Thread):
    """Touches a running import's heartbeat every HEARTBEAT_EVERY seconds from its own thread.

    Long steps without progress callbacks (saving a million points) then never look like a dead
    worker to the sweep; when the whole worker dies, the heartbeat stops with it.
    """

    def __init__(self, import_id: int, token: str):
        super().__init__(name=f"import-{import_id}-heartbeat", daemon=True)
        self.import_id, self.token = import_id, token
        self.stopped = threading.Event()

    def run(self) -> None:
        every = max(0.2, min(HEARTBEAT_EVERY, stale_after().total_seconds() / 4))
        try:
            while not self.stopped.wait(every):
                try:
                    ExperimentImport.objects.filter(
                        pk=self.import_id, status=ImportStatus.RUNNING, claimed_by=self.token
                    ).update(heartbeat_at=timezone.now())
                except Exception:  # a busy database only delays the next beat
                    log.debug("Heartbeat of import %s skipped", self.import_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=HEARTBEAT_EVERY * 2)
