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
    fields = ["run_id", "status", "last_point_at", "start_time"]
    # How far points were folded into series (PendingPoints rows up to it are gone).
    folded = hasattr(LiveRun, "folded_through")
    if folded:
        fields.append("folded_through")
    states = {}
    for row in LiveRun.objects.filter(run_id__in=run_ids).values_list(*fields):
        states[row[0]] = LiveState(
            status=row[1],
            last_point_at=row[2],
            started_at=_moment(row[3]),
            folded_through=(row[4] or 0) if folded else 0,
        )
    return states
