"""Live charts: what a chart of runs that are still logging says, and the points it has not drawn.

A chart card of runs logged through the MLflow API carries a badge that htmx polls every second
(`chart_cards.live_badge`) with a cursor: the highest append-table row (PendingPoints id) the
page has drawn, and how many points the folded series held. Each poll answers the points of
newer rows only, which the page appends to its traces, and the badge again with the new cursor;
when every run of the chart has ended it answers the whole (folded, downsampled) traces once
more, says "finished" (or failed, killed) and stops the polling with 286.

The core cannot import the tracking app, so the state of a run (status, last point) comes from a
source that tracking registers when it starts (`register_live_source`), as projects.access does
for mentorships.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from .models import MetricSeries, PendingPoints
from .series import STEP_DTYPE, VALUE_DTYPE, unpack

RUNNING = ("RUNNING", "SCHEDULED")
# Seconds between polls while a run logs, and while it looks dead.
POLL_SECONDS = 1
STALE_POLL_SECONDS = 5
# More new points than this in one poll: the page gets the whole traces (downsampled) instead.
MAX_EXTEND_POINTS = 20_000


@dataclass(frozen=True)
class LiveState:
    """Where a run logged live stands: MLflow's status, its last point and when it started."""

    status: str
    last_point_at: datetime.datetime | None = None
    started_at: datetime.datetime | None = None


_source: Callable[[list[int]], dict[int, LiveState]] | None = None


def register_live_source(source: Callable[[list[int]], dict[int, LiveState]]) -> None:
    """Called once by the app that logs runs live: source(run_ids) -> {run_id: LiveState} for the
    runs among run_ids that were logged live (others are left out)."""
    global _source
    _source = source


def live_states(run_ids: Iterable[int]) -> dict[int, LiveState]:
    ids = list(run_ids)
    if _source is None or not ids:
        return {}
    return _source(ids)


def is_stale(state: LiveState, now: datetime.datetime | None = None) -> bool:
    """A run that says it runs but sent no point for CAIRN_LIVE_STALE_SECONDS: its process
    probably died without ending it."""
    if state.status not in RUNNING:
        return False
    last = state.last_point_at or state.started_at
    if last is None:
        return False
    age = ((now or timezone.now()) - last).total_seconds()
    return age > settings.CAIRN_LIVE_STALE_SECONDS


@dataclass
class ChartLive:
    """The badge of a chart card: its word, whether the page keeps polling, and how often."""

    label: str  # live, stale, finished, failed, killed, ended
    polling: bool
    every: int = POLL_SECONDS
    running: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return {
            "live": "live",
            "stale": "stale: no new point for a while",
            "finished": "finished",
            "failed": "failed",
            "killed": "killed",
            "ended": "ended",
        }[self.label]


def chart_live(states: dict[int, LiveState], now: datetime.datetime | None = None) -> ChartLive:
    """The badge for a chart of these runs (None-like empty states: no badge at all)."""
    now = now or timezone.now()
    running = [run_id for run_id, s in states.items() if s.status in RUNNING]
    fresh = [run_id for run_id in running if not is_stale(states[run_id], now)]
    if fresh:
        return ChartLive("live", True, POLL_SECONDS, running)
    if running:
        return ChartLive("stale", True, STALE_POLL_SECONDS, running)
    ended = {s.status for s in states.values()}
    label = ended.pop().lower() if len(ended) == 1 else "ended"
    if label not in ("finished", "failed", "killed"):
        label = "ended"
    return ChartLive(label, False)


@dataclass(frozen=True)
class Cursor:
    """How much of a metric of some runs a page has drawn: every append-table row up to
    `after`, and series holding `folded` points. Folding moves rows into the series (and deletes
    them), so a different folded count means rows past `after` may be gone: the page then gets
    the whole traces again."""

    after: int = 0
    folded: int = 0


def cursor(*, run_ids: Iterable[int], key: str) -> Cursor:
    """The cursor of a page that draws the series as read after this call."""
    ids = list(run_ids)
    # The folded count first: a fold between the two reads then shows as a changed count.
    folded = MetricSeries.objects.filter(run_id__in=ids, key=key).aggregate(n=Sum("count"))
    pending = PendingPoints.objects.filter(run_id__in=ids, key=key).aggregate(n=Max("id"))
    return Cursor(after=pending["n"] or 0, folded=folded["n"] or 0)


@dataclass
class NewPoints:
    """Points of one metric logged after a cursor, per run in the order they arrived."""

    cursor: int
    steps: dict[int, np.ndarray]
    values: dict[int, np.ndarray]
    times: dict[int, np.ndarray]  # seconds since the epoch

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.values.values())


def new_points(*, run_ids: Iterable[int], key: str, after: int) -> NewPoints:
    """The points of key that runs logged in append-table rows newer than after."""
    rows = (
        PendingPoints.objects.filter(run_id__in=list(run_ids), key=key, id__gt=after)
        .order_by("id")
        .values_list("id", "run_id", "steps", "timestamps", "values")
    )
    steps: dict[int, list] = {}
    values: dict[int, list] = {}
    times: dict[int, list] = {}
    last = after
    for row_id, run_id, raw_steps, raw_times, raw_values in rows.iterator():
        last = max(last, row_id)
        steps.setdefault(run_id, []).append(unpack(raw_steps, STEP_DTYPE))
        values.setdefault(run_id, []).append(unpack(raw_values, VALUE_DTYPE))
        times.setdefault(run_id, []).append(unpack(raw_times, STEP_DTYPE) / 1000.0)
    return NewPoints(
        cursor=last,
        steps={r: np.concatenate(a) for r, a in steps.items()},
        values={r: np.concatenate(a) for r, a in values.items()},
        times={r: np.concatenate(a) for r, a in times.items()},
    )


def series_cursor() -> int:
    """The newest metric series row: every key a page drew had a row up to it."""
    return MetricSeries.objects.aggregate(n=Max("id"))["n"] or 0


@dataclass(frozen=True)
class NewKeys:
    """Metric keys first logged after a page was drawn, and the cursor past them."""

    keys: list[str]
    cursor: int


def new_keys(*, live_ids: Iterable[int], run_ids: Iterable[int], after: int) -> NewKeys:
    """Keys that live runs began logging after the series cursor `after`, less those that any of
    run_ids (the page's runs) had by then: the page drew those already. The first points of a
    key create its series row (projects.appends), so a new row is a new key."""
    rows = MetricSeries.objects.filter(run_id__in=list(live_ids), id__gt=after)
    found = dict(rows.values("key").annotate(n=Max("id")).values_list("key", "n"))
    if not found:
        return NewKeys([], after)
    known = set(
        MetricSeries.objects.filter(run_id__in=list(run_ids), key__in=found, id__lte=after)
        .values_list("key", flat=True)
        .distinct()
    )
    return NewKeys(sorted(set(found) - known), max(after, *found.values()))
