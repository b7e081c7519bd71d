"""Live appends to metric series: an append table beside the columnar series.

Imports write whole series at once (one MetricSeries row of columnar arrays per run and key).
Live logging (tracking/, the MLflow API) sends a few points at a time to many series, and
rewriting a series' arrays on every call would cost O(points so far) per call. So each call's
points of one key land as one PendingPoints row (columnar too: a call of 1,000 points over 10
keys is 10 small rows in one INSERT), and `series_fold` merges them into the MetricSeries row
when the run ends and every CAIRN_FOLD_SECONDS while it runs (Celery beat). Every read of
points goes through `merge_pending`, which merges what is folded with what is not yet, so
charts read one place and never see a point twice or miss one.

Identical points (key, step, timestamp, value) are kept once, as an MLflow server keeps them:
the same points sent again (a client's retry) have the same digest and hit the unique
constraint; identical points that arrive in different calls are dropped by the merge.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from .models import ExperimentImport, MetricSeries, PendingPoints, Run
from .provenance import points_span
from .series import STEP_DTYPE, VALUE_DTYPE, pack, pack_steps, summarise, unpack

TIME_DTYPE = np.dtype("<i8")


@dataclass
class Points:
    """Points of one metric: int64 steps, int64 timestamps (ms since the epoch), float64 values."""

    steps: np.ndarray
    timestamps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.steps.size)

    @classmethod
    def empty(cls) -> Points:
        return cls(np.empty(0, STEP_DTYPE), np.empty(0, TIME_DTYPE), np.empty(0, VALUE_DTYPE))

    def digest(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for array in (self.steps, self.timestamps, self.values):
            h.update(array.tobytes())
        return h.hexdigest()


def merge(*parts: Points) -> Points:
    """The points of all parts in step order (then time), each identical point once."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Points.empty()
    steps = np.concatenate([p.steps for p in parts]).astype(STEP_DTYPE, copy=False)
    times = np.concatenate([p.timestamps for p in parts]).astype(TIME_DTYPE, copy=False)
    values = np.concatenate([p.values for p in parts]).astype(VALUE_DTYPE, copy=False)
    bits = values.view(np.int64)
    order = np.lexsort((bits, times, steps))
    steps, times, values, bits = steps[order], times[order], values[order], bits[order]
    keep = np.ones(steps.size, dtype=bool)
    keep[1:] = (steps[1:] != steps[:-1]) | (times[1:] != times[:-1]) | (bits[1:] != bits[:-1])
    return Points(steps[keep], times[keep], values[keep])


_NONFINITE_TEXT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def latest(points: Points) -> dict:
    """Run.summary's entry for a live series: last/min/max/count over the finite values, and
    the step and timestamp of the last one. When the point with the highest step (then time)
    is NaN or infinite, it is kept apart as "nonfinite" ({value as proto JSON writes it, step,
    timestamp}): MLflow reports such a point as the run's latest value, while Cairn's tables
    and charts keep to finite values."""
    entry = summarise(points.values)
    finite = np.flatnonzero(np.isfinite(points.values))
    if finite.size:
        entry["step"] = int(points.steps[finite[-1]])
        entry["timestamp"] = int(points.timestamps[finite[-1]])
    if finite.size < len(points):
        top = int(np.lexsort((points.timestamps, points.steps))[-1])
        if not math.isfinite(points.values[top]):
            entry["nonfinite"] = {
                "value": _NONFINITE_TEXT[str(float(points.values[top]))],
                "step": int(points.steps[top]),
                "timestamp": int(points.timestamps[top]),
            }
    return _without_stale_nonfinite(entry)


def _without_stale_nonfinite(entry: dict) -> dict:
    """entry without its nonfinite point when a finite one is as new or newer."""
    nonfinite = entry.get("nonfinite")
    if not nonfinite or not entry.get("count"):
        return entry
    finite_at = (entry.get("step", -math.inf), entry.get("timestamp", -math.inf))
    if finite_at >= (nonfinite["step"], nonfinite["timestamp"]):
        entry.pop("nonfinite")
    return entry


def _summary_add(entry: dict | None, points: Points) -> dict:
    """entry (a run summary's entry for one key) with points added, without reading the series:
    exact for new points, and made exact again by the next fold when points repeat."""
    new = latest(points)
    candidates = [e["nonfinite"] for e in (entry or {}, new) if e.get("nonfinite")]
    nonfinite = max(candidates, key=lambda n: (n["step"], n["timestamp"]), default=None)
    if not entry or not entry.get("count"):
        merged = dict(new)
    elif not new["count"]:
        merged = dict(entry)
    else:
        merged = {
            "min": min(entry["min"], new["min"]),
            "max": max(entry["max"], new["max"]),
            "count": entry["count"] + new["count"],
        }
        old_key = (entry.get("step", -math.inf), entry.get("timestamp", -math.inf))
        newer = (new["step"], new["timestamp"]) >= old_key
        source = new if newer else entry
        merged.update(
            last=source["last"], step=source.get("step", 0), timestamp=source.get("timestamp", 0)
        )
    merged.pop("nonfinite", None)
    if nonfinite:
        merged["nonfinite"] = nonfinite
    return _without_stale_nonfinite(merged)


def _insert_pending(run_id: int, batches: dict[str, Points]) -> list[str]:
    """One multi-row INSERT of a pending row per key; the keys whose rows were new (a retry's
    rows hit the unique (run, key, digest) index and are skipped by ON CONFLICT DO NOTHING)."""
    meta = PendingPoints._meta
    names = ("run", "key", "digest", "count", "steps", "timestamps", "values", "created_at")
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in names]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows, params = [], []
    for key, points in batches.items():
        rows.append(f"({', '.join(['%s'] * len(names))})")
        params += [run_id, key, points.digest(), len(points), points.steps.tobytes()]
        params += [points.timestamps.tobytes(), points.values.tobytes(), now]
    once = ", ".join(columns[:3])  # the unique (run, key, digest)
    # Only names from the model go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES {', '.join(rows)} ON CONFLICT ({once}) DO NOTHING RETURNING {columns[1]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _summary_patch(run_id: int, summary: dict, patch: dict) -> None:
    """Write the entries of patch into the run's summary. PostgreSQL merges them in the UPDATE
    itself (jsonb ||), so two calls on other keys of the same run never undo each other without
    a row lock held across the call; SQLite's writers are serialised by its IMMEDIATE
    transactions, so the summary read in the same transaction is current."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Run._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET summary = summary || %s::jsonb WHERE id = %s",  # noqa: S608
                [json.dumps(patch), run_id],
            )
    else:
        Run.objects.filter(pk=run_id).update(summary={**summary, **patch})


def points_append(*, run_id: int, summary: dict, batches: dict[str, Points]) -> list[str]:
    """Append each key's points to the run (one pending row per key, one INSERT) and add them
    to the run's summary (summary: as read in the caller's transaction); no row lock is taken.
    Identical points sent again are kept once and counted once. The keys that had new points."""
    batches = {key: points for key, points in batches.items() if len(points)}
    if not batches:
        return []
    new_keys = [key for key in batches if key not in summary]
    if new_keys:
        # An empty series row for a new key, so that everything listing a run's metrics (run
        # page, charts, targets) sees it before the first fold.
        MetricSeries.objects.bulk_create(
            [
                MetricSeries(run_id=run_id, key=key, count=0, steps=b"", values=b"")
                for key in new_keys
            ],
            ignore_conflicts=True,
        )
    inserted = _insert_pending(run_id, batches)
    patch = {key: _summary_add(summary.get(key), batches[key]) for key in inserted}
    if patch:
        _summary_patch(run_id, summary, patch)
    return inserted


def _pending_rows(run_ids: list[int], key: str | None) -> dict[tuple[int, str], list[Points]]:
    rows = PendingPoints.objects.filter(run_id__in=run_ids)
    if key is not None:
        rows = rows.filter(key=key)
    found: dict[tuple[int, str], list[Points]] = {}
    for run_id, row_key, steps, times, values in rows.order_by("id").values_list(
        "run_id", "key", "steps", "timestamps", "values"
    ):
        found.setdefault((run_id, row_key), []).append(
            Points(
                unpack(steps, STEP_DTYPE), unpack(times, TIME_DTYPE), unpack(values, VALUE_DTYPE)
            )
        )
    return found


def series_points(series: MetricSeries, wall_times: np.ndarray | None = None) -> Points:
    """The folded points of a series row (timestamps from its wall times, in ms)."""
    if not series.count:
        return Points.empty()
    steps = series.step_array()
    values = series.value_array()
    if wall_times is None:
        wall_times = unpack(series.wall_times, VALUE_DTYPE)
    if wall_times is None:
        times = np.zeros(steps.size, TIME_DTYPE)
    else:
        times = np.rint(np.nan_to_num(wall_times) * 1000).astype(TIME_DTYPE)
    return Points(steps, times, values)


def pending_for(*, run_ids: list[int], key: str) -> dict[int, list[Points]]:
    """The not-yet-folded points of one metric of these runs, by run (one query)."""
    return {run_id: parts for (run_id, _), parts in _pending_rows(run_ids, key).items()}


def merge_pending(folded: Points, pending: list[Points] | None) -> Points:
    """What a reader sees: the folded points and the pending ones, merged (see merge)."""
    if not pending:
        return folded
    return merge(folded, *pending)


def run_points(*, run_id: int, key: str) -> Points:
    """Every point of one metric of one run, folded or not, in step order (two queries)."""
    series = MetricSeries.objects.filter(run_id=run_id, key=key).first()
    folded = series_points(series) if series else Points.empty()
    return merge_pending(folded, pending_for(run_ids=[run_id], key=key).get(run_id))


def series_fold(*, run_id: int) -> int:
    """Merge the run's pending points into its columnar series and make its summary exact;
    the number of pending points folded."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return 0
        pending = list(
            PendingPoints.objects.filter(run_id=run_id)
            .order_by("id")
            .values_list("id", "key", "count", "steps", "timestamps", "values")
        )
        if not pending:
            return 0
        by_key: dict[str, list[Points]] = {}
        for _, key, _, steps, times, values in pending:
            by_key.setdefault(key, []).append(
                Points(
                    unpack(steps, STEP_DTYPE),
                    unpack(times, TIME_DTYPE),
                    unpack(values, VALUE_DTYPE),
                )
            )
        existing = {s.key: s for s in MetricSeries.objects.filter(run_id=run_id, key__in=by_key)}
        summary = dict(run.summary)
        span = [min(int(p.timestamps.min()) for ps in by_key.values() for p in ps if len(p))]
        span.append(max(int(p.timestamps.max()) for ps in by_key.values() for p in ps if len(p)))
        for key, parts in by_key.items():
            row = existing.get(key)
            points = merge(series_points(row) if row else Points.empty(), *parts)
            entry = latest(points)
            fields = {
                "count": len(points),
                "steps": pack_steps(points.steps),
                "values": pack(points.values, VALUE_DTYPE),
                "wall_times": pack(points.timestamps / 1000.0, VALUE_DTYPE),
                "last": entry["last"],
                "min": entry["min"],
                "max": entry["max"],
            }
            if row is None:
                MetricSeries.objects.create(run_id=run_id, key=key, **fields)
            else:
                MetricSeries.objects.filter(pk=row.pk).update(**fields)
            summary[key] = entry
        PendingPoints.objects.filter(id__in=[row[0] for row in pending]).delete()
        Run.objects.filter(pk=run_id).update(summary=summary)
        totals = MetricSeries.objects.filter(run__experiment_import_id=run.experiment_import_id)
        totals = totals.aggregate(series=Count("id"), points=Sum("count"))
        experiment_import = ExperimentImport.objects.get(pk=run.experiment_import_id)
        ExperimentImport.objects.filter(pk=experiment_import.pk).update(
            series_count=totals["series"] or 0,
            points_count=totals["points"] or 0,
            # The times of the first and last point, for provenance.
            report=points_span(experiment_import, *span),
        )
    return sum(row[2] for row in pending)


def with_pending_summary(run: Run, series: list[MetricSeries]) -> None:
    """Give series rows of a run logged live the figures of its summary, which counts points
    not folded yet (the rows' own figures are as of the last fold)."""
    for row in series:
        entry = run.summary.get(row.key)
        if isinstance(entry, dict) and entry.get("count", 0) > row.count:
            row.count = entry["count"]
            row.last, row.min, row.max = entry["last"], entry["min"], entry["max"]


def runs_with_pending() -> list[int]:
    """Ids of the runs that have points waiting to be folded."""
    return list(PendingPoints.objects.values_list("run_id", flat=True).distinct().order_by())
