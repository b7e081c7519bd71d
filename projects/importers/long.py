"""Long CSV: one point a row (run, metric, step, value[, timestamp]), Cairn's own plain format.

The fast path matters here. A large, plainly written file is read whole by one call of pandas'
C parser and taken as it is when every row is clean (names as text, whole steps, numeric
values); any doubt sends it to the chunked reader, which checks row by row and keeps line
numbers for the report. Names are factorised so only integer codes are kept, and rows are
grouped into series with one stable numpy sort (none when the file is written series by series).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from .choices import Choices, settle_roles
from .data import RunData
from .dates import read_times
from .detect import (
    ID_COLUMNS,
    METRIC_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
    TIME_COLUMNS,
    VALUE_COLUMNS,
    find,
)
from .formats import ImportFailed
from .limits import Limits, check_point_count, check_series_count
from .progress import Progress, each_source
from .report import Report
from .series import series_in_groups
from .text import (
    CsvDialect,
    TextSource,
    dialect_notes,
    integers,
    name_codes,
    numbers,
    read_table,
    sniff_csv,
)
from .wording import quoted

CHUNK_ROWS = 500_000
# From this size a clean file is read whole, in one call (see _read_fast); below it the chunked
# reader is as quick and keeps line numbers.
FAST_FROM_BYTES = 16 * 1024 * 1024


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read long CSV files: one (run, metric, step, value[, timestamp]) point a row."""
    read = partial(parse_file, limits=limits, choices=plan.choices)
    return each_source(plan, report, progress, read)


@dataclass
class _Layout:
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
class _Points:
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


def parse_file(
    source: TextSource,
    report: Report,
    progress: Progress,
    *,
    limits: Limits,
    choices: Choices | None = None,
) -> list[RunData]:
    """Read one long CSV file into runs."""
    choices = choices or Choices()
    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    layout = _layout(dialect, source.name, report, choices)
    points = _Points(date_order=choices.date_order, report=report)
    if layout.time is not None:
        points.time_name = dialect.columns[layout.time]
    taken = _read_fast(source, dialect, layout, points)
    if taken:
        check_point_count(taken, source.name)
        report.rows_read += taken
        report.rows_accepted += taken
    else:
        text_columns = {layout.run, layout.metric, *layout.unknown, *layout.params, *layout.tags}
        if layout.external_id is not None:
            text_columns.add(layout.external_id)
        for chunk, lines in read_table(
            source, dialect, report, text_columns=text_columns, chunksize=CHUNK_ROWS
        ):
            _take(chunk, lines, layout, dialect, points, report)
            check_point_count(sum(part[2].size for part in points.parts), source.name)
            check_series_count(max(len(points.run_codes), len(points.metric_codes)), source.name)
            if len(lines):
                progress(0.8 * min(1.0, lines[-1] / max(1, source.line_count)))
    _column_warnings(dialect, layout, points, report)
    runs = _group(points, layout, report, source.name)
    progress(1.0)
    return runs


# The roles a column of a long CSV can have, and what each means there.
LONG_ROLES = ("run", "key", "step", "value", "time", "param", "tag", "ignore")


def _guess_roles(dialect: CsvDialect) -> dict[str, tuple[str, str]]:
    """Each column's role by its name, as Cairn reads a long CSV without being told."""
    columns = dialect.lowered()
    guessed: dict[str, tuple[str, str]] = {}
    found = {}
    for role, names, what in (
        ("run", RUN_COLUMNS, "a run name column"),
        ("key", METRIC_COLUMNS, "a metric name column"),
        ("step", STEP_COLUMNS, "a step column"),
        ("value", VALUE_COLUMNS, "a value column"),
        ("time", TIME_COLUMNS, "a time column"),
    ):
        at = find(columns, names)
        if at is not None and at not in found.values():
            found[role] = at
            guessed.setdefault(dialect.columns[at], (role, f"its name is that of {what}"))
    external = find(columns, ID_COLUMNS)
    if external is not None and external not in found.values():
        guessed.setdefault(dialect.columns[external], ("tag", "the run's id in its tracker"))
    aliases = set(STEP_COLUMNS + RUN_COLUMNS + TIME_COLUMNS)
    for name, low in zip(dialect.columns, columns, strict=True):
        if name not in guessed and low in aliases:
            guessed[name] = ("ignore", "another column of the same kind is used")
    return guessed


def _layout(dialect: CsvDialect, name: str, report: Report, choices: Choices) -> _Layout:
    roles = settle_roles(dialect.columns, _guess_roles(dialect), report, choices)
    columns = dialect.lowered()
    wrong = {c: r for c, r in roles.items() if r not in LONG_ROLES}
    if wrong:
        column, role = next(iter(wrong.items()))
        raise ImportFailed(
            f"In a long CSV a column cannot be a {role} (column “{column}”): the metric's name "
            "is in the key column and its values in the value column. Roles a long CSV takes: "
            f"{', '.join(LONG_ROLES)}."
        )

    def first(role: str) -> int | None:
        for index, column in enumerate(dialect.columns):
            if roles.get(column) == role:
                return index
        return None

    def every(role: str) -> list[int]:
        return [i for i, column in enumerate(dialect.columns) if roles.get(column) == role]

    run, metric, step, value = first("run"), first("key"), first("step"), first("value")
    if run is None or metric is None or step is None or value is None:
        raise ImportFailed(
            f"“{name}” is not a long CSV: it needs the columns run, metric, step and value "
            f"(and may have timestamp); it has {quoted(dialect.columns)}."
        )
    time = first("time")
    external_id = find(columns, ID_COLUMNS)
    if external_id is not None and roles.get(dialect.columns[external_id]) != "tag":
        external_id = None
    if external_id == run:
        external_id = None
    tags = [i for i in every("tag") if i != external_id]
    # Ignored columns Cairn had no rule for are named in a warning; the user's and aliases not.
    guessed = _guess_roles(dialect)
    unknown = [
        i
        for i, column in enumerate(dialect.columns)
        if roles[column] == "ignore" and column not in guessed and not choices.role(column)
    ]
    return _Layout(run, metric, step, value, time, external_id, unknown, every("param"), tags)


def _read_fast(source: TextSource, dialect: CsvDialect, layout: _Layout, points: _Points) -> int:
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


def _take(
    frame: pd.DataFrame,
    lines: np.ndarray | None,
    layout: _Layout,
    dialect: CsvDialect,
    points: _Points,
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


def _wall_times(column: pd.Series, points: _Points, lines: np.ndarray) -> np.ndarray:
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


def _external_ids(column: pd.Series, runs: np.ndarray, ok: np.ndarray, points: _Points) -> None:
    fresh = ok & ~np.isin(runs, list(points.external_ids)) if points.external_ids else ok.copy()
    if not fresh.any():
        return
    first_rows = np.unique(runs[fresh], return_index=True)[1]
    candidates = np.flatnonzero(fresh)[first_rows]
    for row in candidates:
        value = column.iloc[row]
        if isinstance(value, str) and value.strip():
            points.external_ids.setdefault(int(runs[row]), value.strip())


def _column_warnings(dialect: CsvDialect, layout: _Layout, points: _Points, report: Report):
    def label(index: int) -> str:
        name = dialect.columns[index]
        return f"“{name}”" if name else f"number {index + 1} (it has no name)"

    if layout.time is not None and layout.time not in points.filled and points.parts:
        report.warn(f"Column {label(layout.time)} is empty; the points have no wall times.")
    elif points.bad_times:
        report.warn(
            f"{points.bad_times:,} timestamps could not be read (neither unix seconds nor an "
            "ISO date); those points have no wall time."
        )
    empty = [i for i in layout.unknown if i not in points.filled]
    for index in empty:
        report.warn(f"Column {label(index)} is empty and was ignored.")
    unknown = [dialect.columns[i] or f"column {i + 1}" for i in layout.unknown if i not in empty]
    if unknown:
        report.warn(
            f"Unknown columns were ignored: {quoted(unknown)} (a long CSV has run, metric, "
            "step, value and timestamp)."
        )


def _group(points: _Points, layout: _Layout, report: Report, name: str) -> list[RunData]:
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
