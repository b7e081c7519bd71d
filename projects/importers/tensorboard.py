"""TensorBoard's "download data" of one scalar: CSV `Wall time,Step,Value` or JSON triples.

Run and tag come from the file name TensorBoard gives the download, `run-<run>-tag-<tag>`.
TensorBoard writes "/" in names as "_", but "_" may also be real, so the tag is kept as
written; the upload form can name the run and metric instead. A file named otherwise is one
metric (its stem) of the run its folder (or the upload's run name) names, so two tag files
of one run become one run with two metrics.
"""

from __future__ import annotations

import json
import math
from functools import partial

import numpy as np

from . import names
from .data import RunData
from .dialect import dialect_notes, sniff_csv
from .formats import ImportFailed
from .limits import Limits
from .progress import Progress, each_source
from .report import Report
from .series import make_series
from .tables import integers, numbers, read_table
from .text import TextSource

CHUNK_ROWS = 500_000


def names_for(source: TextSource, shared: str = "") -> tuple[str, str]:
    """(run, tag): the user's names, else TensorBoard's `run-<run>-tag-<tag>` download name,
    else the file's folder (or the name the import's files share) as run and its stem as tag."""
    return _named(source, shared)[:2]


def _named(source: TextSource, shared: str = "") -> tuple[str, str, str]:
    found = names.tensorboard(source.name)
    if found:
        run, tag = found
        why = f"TensorBoard's download name “{source.name}”"
    else:
        tag = names.stem_of(source.name) or "value"
        run = names.folder(source.name) or shared or tag
        if names.folder(source.name):
            why = f"the folder of “{source.name}”; the file name is the metric"
        elif shared:
            why = "the name the import's TensorBoard files share; each file name is a metric"
        else:
            why = f"the file name “{source.name}” (no folder or run name says more)"
    if source.run_name:
        why = "the run name given with the upload"
    return source.run_name or run, source.metric_name or tag, why


def _shared(plan) -> str:
    """A run name for several TensorBoard files without a folder or a run in their names:
    their common beginning ("resnet_loss", "resnet_acc" -> "resnet"), else "run"."""
    loose = [
        names.stem_of(s.name)
        for s in plan.sources
        if not names.tensorboard(s.name) and not names.folder(s.name)
    ]
    if len(loose) < 2:
        return ""
    prefix = loose[0]
    for stem in loose[1:]:
        while not stem.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix.rstrip("_-. /")
    return prefix if len(prefix) >= 2 else "run"


def parse_csv(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read TensorBoard scalar CSV downloads (Wall time, Step, Value)."""
    read = partial(_parse_csv_file, limits=limits, shared=_shared(plan))
    return each_source(plan, report, progress, read)


def parse_json(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read TensorBoard scalar JSON downloads ([[wall_time, step, value], ...])."""
    return each_source(plan, report, progress, partial(_parse_json_file, shared=_shared(plan)))


def _parse_csv_file(
    source: TextSource, report: Report, progress: Progress, *, limits: Limits, shared: str = ""
) -> list[RunData]:
    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    columns = dialect.lowered()
    if set(columns) != {"wall time", "step", "value"} or len(columns) != 3:
        raise ImportFailed(
            f"“{source.name}” is not a TensorBoard CSV: it needs exactly the columns "
            f"Wall time, Step and Value; it has {', '.join(dialect.columns)}."
        )
    at = {name: f"c{columns.index(name)}" for name in ("wall time", "step", "value")}
    parts = []
    for chunk, lines in read_table(source, dialect, report, chunksize=CHUNK_ROWS):
        present, parsed, text = numbers(chunk[at["step"]], dialect.decimal)
        steps, _, fraction = integers(parsed)
        _, walls, wall_text = numbers(chunk[at["wall time"]], dialect.decimal)
        _, values, value_text = numbers(chunk[at["value"]], dialect.decimal)
        ok = report.reject_rows(
            lines,
            (
                ("the step is missing", ~present),
                ("the step is not a number", text),
                ("the step is not a whole number (or is out of range)", fraction & ~text),
                ("the wall time is not a number", wall_text),
                ("the value is not a number", value_text),
            ),
        )
        parts.append((steps[ok], values[ok], walls[ok], lines[ok]))
        if len(lines):
            progress(min(1.0, lines[-1] / max(1, source.line_count)))
    return _one_run(source, report, parts, shared)


def _parse_json_file(
    source: TextSource, report: Report, progress: Progress, *, shared: str = ""
) -> list[RunData]:
    with source.open() as handle:
        text = handle.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            f"“{source.name}” is not complete JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); it may have been cut off."
        ) from None
    if not isinstance(data, list):
        raise ImportFailed(
            f"“{source.name}” is JSON but not TensorBoard's shape [[wall_time, step, value], ...]: "
            f"it holds {'an object' if isinstance(data, dict) else 'a single value'}."
        )
    if not data:
        raise ImportFailed(f"“{source.name}” holds an empty list: there are no points in it.")
    report.rows_read += len(data)
    rows = np.full((len(data), 3), np.nan)
    good = np.zeros(len(data), dtype=bool)
    shape_bad: list[int] = []
    for index, entry in enumerate(data):
        try:
            if (
                isinstance(entry, list)
                and len(entry) == 3
                and all(_is_number(x) for x in entry[:2])
                and (entry[2] is None or _is_number(entry[2]))
            ):
                rows[index] = [float(x) if x is not None else math.nan for x in entry]
                good[index] = True
                continue
        except OverflowError:  # an integer too large for a float
            pass
        shape_bad.append(index + 1)
    if shape_bad:
        report.reject(
            "the entry is not [wall_time, step, value] (numbers are positions in the list)",
            shape_bad,
        )
    steps, missing, fraction = integers(rows[:, 1])
    bad_step = good & (fraction | missing)
    if bad_step.any():
        report.reject(
            "the step is not a whole number (numbers are positions in the list)",
            np.flatnonzero(bad_step) + 1,
        )
    ok = good & ~bad_step
    report.rows_accepted += int(ok.sum())
    progress(1.0)
    positions = np.flatnonzero(ok) + 1
    return _one_run(source, report, [(steps[ok], rows[ok, 2], rows[ok, 0], positions)], shared)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _one_run(source: TextSource, report: Report, parts: list[tuple], shared: str) -> list[RunData]:
    parts = [p for p in parts if p[0].size]
    if not parts:
        return []
    run, tag, why = _named(source, shared)
    report.decide("run name", run, why)
    report.decide("metric name", tag, why)
    steps, values, walls, lines = (np.concatenate([p[i] for p in parts]) for i in range(4))
    series = make_series(tag, steps, values, report, run=run, wall_times=walls, lines=lines)
    return [RunData(name=run, series={tag: series})]
