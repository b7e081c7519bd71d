from __future__ import annotations

from celery import shared_task

from . import finishing


@shared_task(ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def finish_run(live_run_id: int) -> None:
    """A live run ended: fold its points and announce it like a finished import (thin)."""
    finishing.run_finish(live_run_id=live_run_id)
