"""Rows of a long CSV into points: a large clean file read whole in one C-parser call, the
others chunk by chunk with each bad row rejected by its line; then the points grouped into one
series per (run, metric)."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import RunData
from .dates import read_times
from .dialect import CsvDialect
from .limits import check_series_count
from .report import Report
from .series import series_in_groups
from .tables import integers, name_codes, numbers
from .text import TextSource

# From this size a clean file is read whole, in one call (see read_fast); below it the chunked
# reader is as quick and keeps line numbers.
FAST_FROM_BYTES = 16 * 1024 * 1024


@dataclass
class Layout:
    run: int
    metric: int
    step: int
    value: int
    time: int | None
    external_id: int | None
    unknown: list[int]
    # Columns the user made params or tags of the run (first value of each run is kept).
    params: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)


@dataclass
class Points:
    """Accepted rows so far, names kept once and rows as integer codes."""

    run_codes: dict[str, int] = field(default_factory=dict)
    metric_codes: dict[str, int] = field(default_factory=dict)
    parts: list[tuple] = field(default_factory=list)
    external_ids: dict[int, str] = field(default_factory=dict)
    filled: set[int] = field(default_factory=set)  # columns with at least one value
    bad_times: int = 0
    # run code -> {column name: first value}, for the columns made params or tags.
    params: dict[int, dict[str, str]] = field(default_factory=dict)
    tags: dict[int, dict[str, str]] = field(default_factory=dict)
    date_order: str = ""
    report: Report | None = None
    time_name: str = ""


def read_fast(source: TextSource, dialect: CsvDialect, layout: Layout, points: Points) -> int:
    """The whole file in one C-parser call when it is large and plainly written; rows taken or 0.

    Only the clean case is taken here: names as text with none missing or blank, whole steps,
    numeric values and times. Anything else (0 returned) goes to the chunked reader, which reads
    the file again and says which lines are wrong.
    """
    if (
        source.size < FAST_FROM_BYTES
        or source.encoding != "utf-8"
        or source.errors != "strict"
        or dialect.delimiter != ","
        or dialect.decimal != "."
        or dialect.header_line != 0
        or not source.ends_with_newline
        or layout.unknown
        or layout.params
        or layout.tags
    ):
        return 0
    names = [f"c{i}" for i in range(len(dialect.columns))]
    try:
        with warnings.catch_warnings():
            # Mixed types in a column fail the checks below; the warning says nothing more.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(source.path, engine="c", header=0, names=names)
    except (ValueError, OverflowError, MemoryError, pd.errors.ParserError):
        return 0
    if len(frame) != source.line_count - 1:
        return 0  # blank lines or quoted line breaks: line numbers would not be file lines
    run, metric = frame[f"c{layout.run}"], frame[f"c{layout.metric}"]
    step, value = frame[f"c{layout.step}"], frame[f"c{layout.value}"]
    time = frame[f"c{layout.time}"] if layout.time is not None else None
    if not (
        pd.api.types.is_string_dtype(run.dtype)
        and pd.api.types.is_string_dtype(metric.dtype)
        and step.dtype == np.int64
        and _is_number(value)
        and (time is None or _is_number(time))
    ):
        return 0
    codes, tables = [], ({}, {})
    # pyarrow factorises without the GIL: the two columns take the time of one.
    with ThreadPoolExecutor(2) as pool:
        factorised = list(pool.map(pd.factorize, (run, metric)))
    for (found, uniques), known in zip(factorised, tables, strict=True):
        stripped = [str(name).strip() for name in uniques]
        if (found < 0).any() or not all(stripped):
            return 0
        mapped = np.array([known.setdefault(name, len(known)) for name in stripped], np.int32)
        codes.append(mapped[found])
    points.run_codes, points.metric_codes = tables
    times = None if time is None else time.to_numpy(dtype=np.float64)
    if times is not None and np.isfinite(times).any():
        points.filled.add(layout.time)
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)  # the header is line 1
    parts = (step.to_numpy(dtype=np.int64), value.to_numpy(dtype=np.float64), times, lines)
    points.parts.append((codes[0], codes[1], *parts))
    return len(frame)


def _is_number(column: pd.Series) -> bool:
    return column.dtype.kind in "if"


def take(
    frame: pd.DataFrame,
    lines: np.ndarray | None,
    layout: Layout,
    dialect: CsvDialect,
    points: Points,
    report: Report,
) -> None:
    """Check one chunk of rows, reject the unusable ones and keep the rest as codes."""
    count = len(frame)
    if count == 0:
        return
    where = lines if lines is not None else np.arange(count, dtype=np.int64) + 2
    runs = name_codes(frame[f"c{layout.run}"], points.run_codes)
    metrics = name_codes(frame[f"c{layout.metric}"], points.metric_codes)
    step_column = frame[f"c{layout.step}"]
    if pd.api.types.is_integer_dtype(step_column.dtype) and step_column.dtype.itemsize <= 8:
        steps = step_column.to_numpy(dtype=np.int64)
        step_missing = step_text = step_fraction = np.zeros(count, dtype=bool)
    else:
        present, parsed, step_text = numbers(step_column, dialect.decimal)
        steps, _, step_fraction = integers(parsed)
        step_missing = ~present
        step_fraction = step_fraction & ~step_text
    present, values, value_text = numbers(frame[f"c{layout.value}"], dialect.decimal)
    ok = report.reject_rows(
        where,
        (
            ("the run is missing", runs < 0),
            ("the metric is missing", metrics < 0),
            ("the step is missing", step_missing),
            ("the step is not a number", step_text),
            ("the step is not a whole number (or is out of range)", step_fraction),
            ("the value is not a number", value_text),
        ),
    )
    accepted = int(ok.sum())
    times = None
    if layout.time is not None:
        times = _wall_times(frame[f"c{layout.time}"], points, where)
        if np.isfinite(times).any():
            points.filled.add(layout.time)
    for column in layout.unknown:
        if column not in points.filled and _has_text(frame[f"c{column}"]):
            points.filled.add(column)
    if layout.external_id is not None:
        _external_ids(frame[f"c{layout.external_id}"], runs, ok, points)
    for kept, columns in ((points.params, layout.params), (points.tags, layout.tags)):
        for column in columns:
            _first_values(frame[f"c{column}"], dialect.columns[column], runs, ok, kept)
    if accepted:
        points.parts.append(
            (
                runs[ok],
                metrics[ok],
                steps[ok],
                values[ok],
                None if times is None else times[ok],
                where[ok] if lines is not None else None,
            )
        )


def _wall_times(column: pd.Series, points: Points, lines: np.ndarray) -> np.ndarray:
    _, seconds, text = numbers(column)
    if text.any():
        times = read_times(
            column[text],
            column=points.time_name,
            report=points.report,
            order=points.date_order,
            lines=lines[text],
        )
        seconds = seconds.copy()
        seconds[text] = times.seconds
    return seconds


def _first_values(
    column: pd.Series, name: str, runs: np.ndarray, ok: np.ndarray, kept: dict[int, dict]
) -> None:
    """The first non-blank value of a column for each run not seen with it yet."""
    text = column.fillna("").astype(str).str.strip().to_numpy()
    for row in np.flatnonzero(ok & (text != "")):
        values = kept.setdefault(int(runs[row]), {})
        if name not in values:
            values[name] = str(text[row])


def _has_text(column: pd.Series) -> bool:
    return bool((column.fillna("").astype(str).str.strip() != "").any())


def _external_ids(column: pd.Series, runs: np.ndarray, ok: np.ndarray, points: Points) -> None:
    fresh = ok & ~np.isin(runs, list(points.external_ids)) if points.external_ids else ok.copy()
    if not fresh.any():
        return
    first_rows = np.unique(runs[fresh], return_index=True)[1]
    candidates = np.flatnonzero(fresh)[first_rows]
    for row in candidates:
        value = column.iloc[row]
        if isinstance(value, str) and value.strip():
            points.external_ids.setdefault(int(runs[row]), value.strip())


def group(points: Points, layout: Layout, report: Report, name: str) -> list[RunData]:
    """Split the accepted rows into one series per (run, metric), in file order within each."""
    if not points.parts:
        return []
    runs, metrics, steps, values, times, lines = (
        None
        if any(part[i] is None for part in points.parts)
        else points.parts[0][i]
        if len(points.parts) == 1
        else np.concatenate([part[i] for part in points.parts])
        for i in range(6)
    )
    del points.parts[:]
    if times is not None:
        finite = times[np.isfinite(times)]
        if finite.size and np.median(np.abs(finite)) > 1e11:
            # Milliseconds (MLflow's chart export writes them): Cairn keeps seconds.
            times = times / 1000.0
            if points.time_name and points.report is not None:
                points.report.decide(
                    f"dates in “{points.time_name}”",
                    "unix milliseconds",
                    "its numbers are of the size of unix milliseconds",
                )
        if not finite.size:
            times = None
    metric_count = max(1, len(points.metric_codes))
    groups = runs.astype(np.int64) * metric_count + metrics
    if groups.size > 1 and (groups[1:] < groups[:-1]).any():
        # Rows of a series are scattered (a file written step by step): gather them, keeping
        # file order within each series. A file written series by series needs no sort.
        order = np.argsort(groups, kind="stable")
        groups, steps, values = groups[order], steps[order], values[order]
        times = None if times is None else times[order]
        lines = None if lines is None else lines[order]
    starts = np.flatnonzero(np.diff(groups, prepend=-1))
    check_series_count(starts.size, name)
    run_names = list(points.run_codes)
    metric_names = list(points.metric_codes)
    run_codes, metric_codes = np.divmod(groups[starts], metric_count)
    series = series_in_groups(
        [metric_names[code] for code in metric_codes.tolist()],
        [run_names[code] for code in run_codes.tolist()],
        starts,
        steps,
        values,
        report,
        wall_times=times,
        lines=lines,
    )
    out: dict[int, RunData] = {}
    for run_code, one in zip(run_codes.tolist(), series, strict=True):
        run = out.get(run_code)
        if run is None:
            run = out[run_code] = RunData(
                name=run_names[run_code],
                external_id=points.external_ids.get(run_code, ""),
                params=dict(points.params.get(run_code, {})),
                tags=dict(points.tags.get(run_code, {})),
            )
        run.series[one.key] = one
    return list(out.values())
