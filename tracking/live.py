"""The state of runs logged live, for projects.live (registered in TrackingConfig.ready)."""

from __future__ import annotations

import datetime

from projects.live import LiveState

from .models import LiveRun


def _moment(ms: int | None) -> datetime.datetime | None:
    if ms is None:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def live_run_states(run_ids: list[int]) -> dict[int, LiveState]:
    """{run id: LiveState} for those of run_ids that were logged through the MLflow API."""
    rows = LiveRun.objects.filter(run_id__in=run_ids).values_list(
        "run_id", "status", "last_point_at", "start_time"
    )
    return {
        run_id: LiveState(status=status, last_point_at=last, started_at=_moment(start))
        for run_id, status, last, start in rows
    }
