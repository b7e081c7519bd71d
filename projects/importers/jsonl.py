"""JSON Lines: one object a line with a run, a step and metric values.

The run is "run", "run_name" or "name" (a line without one belongs to the file's run: the
upload's run name, else the file's stem). The step is "step", "_step", "global_step", "epoch"
or "iteration", the first present; the others are then neither step nor metric. "timestamp",
"_timestamp", "wall_time" or "time" give the wall time. Every other number is a metric (nested
objects are flattened with "/": {"eval": {"r2": 1}} is "eval/r2"); null is a NaN gap; text,
booleans and lists are ignored, and the warning names them. A line that is not JSON is
rejected with its number; the import fails only when no line is usable.
"""

from __future__ import annotations

import json
import math
from array import array
from functools import partial
from pathlib import PurePosixPath

import numpy as np

from ..wording import quoted
from .data import RunData
from .dates import parse_datetime
from .formats import ImportFailed
from .limits import MAX_SERIES, Limits, check_point_count, check_series_count
from .progress import Progress, each_source
from .report import Report
from .series import make_series
from .text import TextSource

RUN_KEYS = ("run", "run_name", "name")
STEP_KEYS = ("step", "_step", "global_step", "epoch", "iteration")
TIME_KEYS = ("timestamp", "_timestamp", "wall_time", "time")
# "_runtime" is W&B's clock, logged on every row of its history; it is not a metric.
RESERVED = frozenset((*RUN_KEYS, *STEP_KEYS, *TIME_KEYS, "_runtime"))
PROGRESS_EVERY = 50_000


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read JSON Lines files: one object a line with a run, a step and metric values."""
    return each_source(plan, report, progress, partial(parse_file, limits=limits))


class _Points:
    __slots__ = ("lines", "steps", "values", "walls")

    def __init__(self):
        self.steps, self.values = array("q"), array("d")
        self.walls, self.lines = array("d"), array("q")


def parse_file(
    source: TextSource, report: Report, progress: Progress, *, limits: Limits
) -> list[RunData]:
    """Read one JSON Lines file into runs."""
    default_run = source.run_name or PurePosixPath(source.name.replace("\\", "/")).stem or "run"
    series: dict[tuple[str, str], _Points] = {}
    run_order: dict[str, None] = {}
    ignored: dict[str, None] = {}
    any_wall = False
    with source.open() as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            report.rows_read += 1
            if number % PROGRESS_EVERY == 0:
                progress(number / max(1, source.line_count))
                check_point_count(sum(len(p.steps) for p in series.values()), source.name)
            try:
                item = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                reason = "the line is not valid JSON"
                if number == source.line_count and not source.ends_with_newline:
                    reason = "the last line is cut short or not valid JSON (file truncated?)"
                report.reject(reason, number)
                continue
            if not isinstance(item, dict):
                report.reject("the line is not a JSON object", number)
                continue
            run = _run(item, default_run)
            if run is None:
                report.reject("the run is missing or empty", number)
                continue
            step = _step(item)
            if step is None:
                report.reject("the step is missing", number)
                continue
            if step is False:
                report.reject("the step is not a whole number", number)
                continue
            wall = _wall(item)
            any_wall = any_wall or not math.isnan(wall)
            metrics = _metrics(item, ignored, limits.max_columns)
            if not metrics:
                report.reject("the line has no numeric values", number)
                continue
            report.rows_accepted += 1
            run_order.setdefault(run)
            for key, value in metrics:
                points = series.get((run, key))
                if points is None:
                    if len(series) >= MAX_SERIES:
                        check_series_count(len(series) + 1, source.name)
                    points = series[(run, key)] = _Points()
                points.steps.append(step)
                points.values.append(value)
                points.walls.append(wall)
                points.lines.append(number)
    if ignored:
        report.warn(f"Fields that are not numbers were ignored: {quoted(ignored)}.")
    runs = {name: RunData(name=name) for name in run_order}
    for (run, key), points in series.items():
        walls = np.frombuffer(points.walls, dtype=np.float64) if any_wall else None
        if walls is not None and np.nanmedian(np.abs(walls)) > 1e11:
            walls = walls / 1000.0  # milliseconds
        runs[run].series[key] = make_series(
            key,
            np.frombuffer(points.steps, dtype=np.int64),
            np.frombuffer(points.values, dtype=np.float64),
            report,
            run=run,
            wall_times=walls,
            lines=np.frombuffer(points.lines, dtype=np.int64),
        )
    progress(1.0)
    return list(runs.values())


def _run(item: dict, default: str) -> str | None:
    for key in RUN_KEYS:
        if key in item:
            value = item[key]
            if isinstance(value, str | int) and not isinstance(value, bool):
                text = str(value).strip()
                return text or None
            return None
    return default


def _step(item: dict):
    """The step as an int, None when there is none, False when it is not a whole number."""
    for key in STEP_KEYS:
        if key in item:
            value = item[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
                return False
            if not -(2**63) <= value < 2**63:
                return False
            return int(value)
    return None


def _wall(item: dict) -> float:
    for key in TIME_KEYS:
        if key in item:
            value = item[key]
            if isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    return float(value)
                except OverflowError:
                    return math.nan
            if isinstance(value, str):
                moment = parse_datetime(value)
                return moment.timestamp() if moment else math.nan
            return math.nan
    return math.nan


def _metrics(item: dict, ignored: dict[str, None], budget: int) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    stack = [("", item)]
    seen = 0
    while stack:
        prefix, mapping = stack.pop()
        for key, value in mapping.items():
            seen += 1
            if seen > budget:
                raise ImportFailed(
                    f"A line holds more than {budget:,} fields; Cairn reads at most that many."
                )
            if not prefix and key in RESERVED:
                continue
            name = f"{prefix}/{key}" if prefix else str(key)
            if isinstance(value, dict):
                stack.append((name, value))
            elif value is None:
                out.append((name, math.nan))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    out.append((name, float(value)))
                except OverflowError:
                    ignored.setdefault(name)
            else:
                ignored.setdefault(name)
    return out
