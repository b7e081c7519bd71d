"""Long CSV: one point a row (run, metric, step, value[, timestamp]), Cairn's own plain format.

The fast path matters here. A large, plainly written file is read whole by one call of pandas'
C parser and taken as it is when every row is clean (names as text, whole steps, numeric
values); any doubt sends it to the chunked reader, which checks row by row and keeps line
numbers for the report. Names are factorised so only integer codes are kept, and rows are
grouped into series with one stable numpy sort (none when the file is written series by series).
"""

from __future__ import annotations

from functools import partial

from ..wording import quoted
from . import long_rows
from .choices import Choices, settle_roles
from .data import RunData
from .detect import (
    ID_COLUMNS,
    METRIC_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
    TIME_COLUMNS,
    VALUE_COLUMNS,
    find,
)
from .dialect import CsvDialect, dialect_notes, sniff_csv
from .formats import ImportFailed
from .limits import Limits, check_point_count, check_series_count
from .long_rows import Layout, Points
from .progress import Progress, each_source
from .report import Report
from .tables import read_table
from .text import TextSource

CHUNK_ROWS = 500_000


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read long CSV files: one (run, metric, step, value[, timestamp]) point a row."""
    read = partial(parse_file, limits=limits, choices=plan.choices)
    return each_source(plan, report, progress, read)


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
    points = Points(date_order=choices.date_order, report=report)
    if layout.time is not None:
        points.time_name = dialect.columns[layout.time]
    taken = long_rows.read_fast(source, dialect, layout, points)
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
            long_rows.take(chunk, lines, layout, dialect, points, report)
            check_point_count(sum(part[2].size for part in points.parts), source.name)
            check_series_count(max(len(points.run_codes), len(points.metric_codes)), source.name)
            if len(lines):
                progress(0.8 * min(1.0, lines[-1] / max(1, source.line_count)))
    _column_warnings(dialect, layout, points, report)
    runs = long_rows.group(points, layout, report, source.name)
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


def _layout(dialect: CsvDialect, name: str, report: Report, choices: Choices) -> Layout:
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
    return Layout(run, metric, step, value, time, external_id, unknown, every("param"), tags)


def _column_warnings(dialect: CsvDialect, layout: Layout, points: Points, report: Report):
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
