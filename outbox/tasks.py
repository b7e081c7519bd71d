from __future__ import annotations

from celery import shared_task


@shared_task(time_limit=300, soft_time_limit=280)
def drain_outbox() -> int:
    """Send the tasks that waited in the outbox while the broker was down (beat, once a minute)."""
    from .services import outbox_drain

    return outbox_drain()
