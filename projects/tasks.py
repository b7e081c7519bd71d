from __future__ import annotations

from celery import shared_task

from . import imports


@shared_task(
    bind=True,
    # The claim makes a second delivery harmless, so a task whose worker died is delivered
    # again rather than lost.
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=30 * 60,
    soft_time_limit=29 * 60,
)
def run_import(self, import_id: int) -> None:
    """Process one experiment import (thin: the service does the work)."""
    imports.import_process(
        import_id=import_id,
        token=self.request.id or f"local-{import_id}",
        # In a worker process the row's heartbeat tells the sweep this import is alive.
        heartbeat=not self.request.is_eager,
    )


@shared_task(ignore_result=True)
def requeue_stalled_imports() -> int:
    """Celery beat, every CAIRN_IMPORT_SWEEP_SECONDS: send stalled imports to a worker again."""
    return imports.import_requeue_stalled()


@shared_task(ignore_result=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def fold_pending_points() -> int:
    """Celery beat, every CAIRN_FOLD_SECONDS: fold points logged live into their series."""
    from . import appends

    return sum(appends.series_fold(run_id=run_id) for run_id in appends.runs_with_pending())
