"""What happens when a live run ends: its points are folded into the columnar series, and the
run is announced as an import is (projects.signals.import_succeeded: milestones whose metric
target it meets complete, public pages go stale), once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from projects import appends
from projects.signals import import_succeeded, run_finished, send_safely

from .models import LiveRun


def run_finish(*, live_run_id: int) -> bool:
    """Fold and announce a finished run; False when there is nothing (more) to do."""
    live = LiveRun.objects.select_related("run__experiment_import").filter(pk=live_run_id).first()
    if live is None or live.is_running:
        return False
    appends.series_fold(run_id=live.run_id)
    with transaction.atomic():
        # The claim: only one delivery of the task announces the run.
        claimed = LiveRun.objects.filter(pk=live.pk, announced_at__isnull=True).update(
            announced_at=timezone.now(), folded_at=timezone.now()
        )
        if not claimed:
            return False
        experiment_import = live.run.experiment_import
        send_safely(import_succeeded, experiment_import=experiment_import)
        send_safely(run_finished, experiment_import=experiment_import)
    return True
