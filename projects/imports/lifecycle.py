"""An import's life as a queued row: sent to a worker, swept when stalled, retried, read again
with other choices, deleted."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import importers, signals
from ..models import ExperimentImport, ImportFile, ImportStatus, Project
from ..provenance import has_files

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A running import whose worker has not reported for this long is taken to be abandoned
# (settings.CAIRN_IMPORT_STALE_SECONDS; a worker touches its heartbeat every HEARTBEAT_EVERY).
STALE_AFTER = timedelta(seconds=30)

# A run logged live has no file: reading it again would replace its runs with nothing.
LIVE_REREAD = (
    "This run was logged through the MLflow API or synced from MLflow: there is no file to read "
    "again."
)


def stale_after() -> timedelta:
    """How long a queued import may wait, or a running one stay silent, before it is sent again."""
    seconds = getattr(settings, "CAIRN_IMPORT_STALE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds is not None else STALE_AFTER


def import_enqueue(*, experiment_import: ExperimentImport) -> bool:
    """Send the import to a worker; False (and the row stays queued) when the broker is down."""
    from ..tasks import run_import

    try:
        run_import.apply_async(args=[experiment_import.pk], retry=False)
    except Exception:  # the broker is unreachable: the row waits, and is sent again later
        log.warning("Broker unavailable; import %s stays queued", experiment_import.pk)
        return False
    return True


def stalled_imports(*, older_than: timedelta | None = None):
    """Imports nobody is working on: queued for too long, or running with a silent worker."""
    cutoff = timezone.now() - (older_than if older_than is not None else stale_after())
    return ExperimentImport.objects.filter(
        Q(status=ImportStatus.QUEUED, created_at__lt=cutoff)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
        | Q(status=ImportStatus.RUNNING)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
    )


def import_requeue_stalled(
    *, project: Project | None = None, older_than: timedelta | None = None
) -> int:
    """Send again imports that wait too long: queued while the broker was down, or abandoned.

    A queued import sent again is marked (its heartbeat), so that one sweep after another does
    not pile messages up while the first is still waiting for a worker. Returns how many were
    sent.
    """
    stalled = stalled_imports(older_than=older_than)
    if project is not None:
        stalled = stalled.filter(project=project)
    sent = 0
    for imp in stalled:
        if import_enqueue(experiment_import=imp):
            sent += 1
            if imp.status == ImportStatus.QUEUED:
                ExperimentImport.objects.filter(pk=imp.pk, status=ImportStatus.QUEUED).update(
                    heartbeat_at=timezone.now()
                )
    if sent:
        log.info("Sent %s stalled import(s) to a worker again", sent)
    return sent


def import_retry(
    *,
    experiment_import: ExperimentImport,
    choices: dict | None = None,
    run_name: str | None = None,
    metric_name: str | None = None,
    requested_format: str | None = None,
) -> ExperimentImport:
    """Queue a failed or held import again, read with new choices or names when given.

    A stranded import (queued or running with nobody working on it, see stalled_imports) is
    sent to a worker again as it is. An import in any other state is left as it is. Bad choices
    raise importers.ImportFailed; an unknown format too.
    """
    if requested_format and requested_format not in importers.FORMATS:
        raise importers.ImportFailed(f"Unknown format “{requested_format}”.")
    if stalled_imports().filter(pk=experiment_import.pk).exists():
        ExperimentImport.objects.filter(pk=experiment_import.pk).update(attempts=0)
        transaction.on_commit(lambda: import_enqueue(experiment_import=experiment_import))
        experiment_import.refresh_from_db()
        return experiment_import
    changes: dict = {}
    if requested_format is not None:
        changes["requested_format"] = requested_format
    if choices is not None:
        changes["choices"] = importers.Choices.from_dict(choices).as_dict()
    if run_name is not None:
        changes["run_name"] = run_name
    if metric_name is not None:
        changes["metric_name"] = metric_name
    return _queue_again(
        experiment_import, [ImportStatus.FAILED, ImportStatus.REVIEW], report={}, **changes
    )


@transaction.atomic  # what receivers change before the delete stands or falls with it
def import_delete(*, experiment_import: ExperimentImport) -> None:
    """Delete an import with its runs, series and stored files."""
    names = [record.file.name for record in experiment_import.files.all()]
    storage = ImportFile._meta.get_field("file").storage
    signals.send_safely(signals.import_deleting, experiment_import=experiment_import)
    experiment_import.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def import_reread(*, experiment_import: ExperimentImport, choices: dict) -> ExperimentImport:
    """Queue an import again, read with the owner's choices, whatever its state when done.

    A succeeded import keeps its runs until the new reading is written; then they are
    replaced in one transaction (see _write). Queued or running imports are left as they are.
    Bad choices raise importers.ImportFailed.
    """
    if not has_files(experiment_import):
        raise importers.ImportFailed(LIVE_REREAD)
    checked = importers.Choices.from_dict(choices).as_dict()
    done = [ImportStatus.FAILED, ImportStatus.REVIEW, ImportStatus.SUCCEEDED]
    return _queue_again(experiment_import, done, choices=checked)


def _queue_again(imp: ExperimentImport, statuses: list, **changes) -> ExperimentImport:
    """Queue the import afresh (with changes) when it is in one of statuses; send it on commit."""
    updated = ExperimentImport.objects.filter(pk=imp.pk, status__in=statuses).update(
        status=ImportStatus.QUEUED,
        attempts=0,
        claimed_by="",
        progress=0.0,
        message="",
        finished_at=None,
        **changes,
    )
    if updated:
        transaction.on_commit(lambda: import_enqueue(experiment_import=imp))
    imp.refresh_from_db()
    return imp
