"""What imports announce to other apps, so that projects never has to import them.

Receivers take experiment_import and should wrap their writes in transaction.atomic(), so that
a failure undoes only their own work. Send with send_safely: a receiver that fails is logged,
and the import itself is never failed or rolled back by it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

from .models import ExperimentImport

log = logging.getLogger(__name__)

# Sent once an import's runs are committed.
import_succeeded = Signal()
# Sent once a run logged live (tracking/) has ended and its points are folded, with the import
# row that stands for it; mentors' inboxes say "finished a run".
run_finished = Signal()
# Sent after runs of an import were deleted or restored by their tracker (MLflow's runs/delete
# and runs/restore, Run.deleted_at): what caches the runs (public pages) reads them again.
runs_deleted_or_restored = Signal()
# Sent before an import and its runs are deleted, inside the deleting transaction.
import_deleting = Signal()
# Sent before a re-read import's old runs are replaced, inside the transaction that writes the
# new ones (what a receiver writes commits or rolls back with them).
import_runs_replacing = Signal()


def send_safely(signal: Signal, *, experiment_import: ExperimentImport) -> None:
    """Send signal about experiment_import; receiver failures are logged, never raised."""
    try:
        # A savepoint: should a receiver break the database transaction, its writes are undone
        # and the caller's transaction stays usable. Receivers wrap their own work in atomic().
        with transaction.atomic():
            responses = signal.send_robust(
                sender=ExperimentImport, experiment_import=experiment_import
            )
    except Exception:
        log.exception("Signal receivers failed on import %s", experiment_import.pk)
        return
    for receiver, response in responses:
        if isinstance(response, Exception):
            log.error(
                "Receiver %r failed on import %s",
                receiver,
                experiment_import.pk,
                exc_info=response,
            )
