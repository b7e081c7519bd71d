"""Weights & Biases CSV exports: the runs table and a chart panel.

Runs table. The columns are Name, State, Notes, User, Tags, Created, Runtime, Sweep (a reduced
export may keep only Name), then the config keys, then the summary keys; the file does not mark
where config ends. The split is scored over the whole header and every row's values
(column_split.find_split), never read from one column's name, and recorded as a decision. In the
summary, numeric columns are metrics, "_step" is their step, "_timestamp" their wall time, other
"_" columns (W&B internals) are skipped and text columns are params. A runs table holds only
final values: each metric becomes a one-point series at "_step" (0 without it).

Chart export. `Step` (or a custom x metric such as epoch), then `<run> - <metric>` per run with
`__MIN` and `__MAX` companions, which become the lower and upper bounds of that series. Blank
cells are no point.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from ..wording import plural, quoted
from . import column_split, runs_table
from .choices import Choices
from .data import RunData
from .detect import STEP_COLUMNS, find
from .dialect import dialect_notes, sniff_csv
from .formats import ImportFailed
from .limits import Limits, check_point_count
from .progress import Progress, each_source
from .report import Report
from .series import make_series
from .tables import BLANK_WORDS, integers, numbers, read_table, read_whole_table
from .text import TextSource

TAG_COLUMNS = {
    "state": "wandb.state",
    "user": "wandb.user",
    "notes": "wandb.notes",
    "sweep": "wandb.sweep",
    "runtime": "wandb.runtime",
}
FIXED_ROLES = ("name", "state", "notes", "user", "tags", "created", "runtime", "sweep")
NAME_COLUMNS = ("run", "run_name", "run name", "display name", "display_name")
ID_COLUMNS = ("id", "run id", "run_id")
CHUNK_ROWS = 200_000


def parse_runs(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read W&B runs table exports: one run a row with config, tags and summary values."""
    read = partial(_parse_runs_file, limits=limits, choices=plan.choices)
    return each_source(plan, report, progress, read)


def parse_chart(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read W&B chart exports: Step and `<run> - <metric>` columns with __MIN/__MAX bounds."""
    return each_source(plan, report, progress, partial(_parse_chart_file, limits=limits))


def _parse_runs_file(
    source: TextSource, report: Report, progress: Progress, *, limits: Limits, choices: Choices
) -> list[RunData]:
    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    table, lines = read_whole_table(source, dialect, report)
    progress(0.5)
    if table.empty:
        return []
    columns = column_split.profile(dialect.columns, table, dialect.decimal)
    spec = runs_table.Spec()
    block = []
    fixed = {}
    for column in columns:
        low = column.low
        if low in fixed or low not in FIXED_ROLES:
            block.append(column)
            continue
        fixed[low] = column
    name = fixed.get("name") or next(
        (c for c in block if c.low in NAME_COLUMNS and not c.numeric), None
    )
    ident = next((c for c in block + list(fixed.values()) if c.low in ID_COLUMNS), None)
    if name is None and ident is None:
        # No name column (a forced format, or a hand-made table): the first text column whose
        # values are all different names the runs.
        name = next((c for c in block if not c.numeric and _distinct(c, table)), None)
        if name is not None:
            report.decide(
                "run name",
                f"“{name.name}”",
                "the table has no Name column; this is its first text column with a different "
                "value in every row",
            )
    block = [c for c in block if c is not name and c is not ident]
    if name is not None:
        spec.name_at = name.index
        spec.set(name, "run", "W&B's run name column")
        if name.low != "name" and name.low in NAME_COLUMNS:
            report.decide("run name", f"“{name.name}”", "the table has no Name column")
    if ident is not None:
        spec.id_at = ident.index
        spec.set(ident, "tag", "the run's W&B id (kept as its external id)", "wandb.id")
        if name is None:
            report.decide("run name", f"“{ident.name}”", "the table has no Name column")
    for low, column in fixed.items():
        if column is name:
            continue
        if low == "created":
            spec.start_at = column.index
            spec.set(column, "time", "W&B's Created column: the run's start time")
        elif low == "tags":
            spec.labels_at = column.index
            spec.set(column, "tag", "W&B's Tags: each label becomes a tag")
        else:
            if low == "state":
                spec.status_at = column.index
            spec.set(column, "tag", f"W&B's {column.name} column", TAG_COLUMNS[low])
    _split_block(block, spec, report)
    runs = runs_table.read_runs(
        columns, spec, table.to_numpy(dtype=object), lines, report, choices, tracker="W&B"
    )
    for run, status in ((r, r.tags.get("wandb.state")) for r in runs):
        if status and not run.status:
            run.status = status.upper()
    _warn_repeated_names(runs, report)
    progress(1.0)
    return runs


def _distinct(column, table) -> bool:
    values = table[f"c{column.index}"][column.present]
    return bool(column.present.all()) and values.str.strip().nunique() == len(values)


def _split_block(block: list, spec, report: Report) -> None:
    """Config then summary: the split scored over every column's values and name."""
    if not block:
        return
    split = column_split.find_split(block)
    config, summary = block[: split.at], block[split.at :]
    if any(c.numeric for c in block):
        column_split.decide_split(report, "config and summary columns", split, block, True)
    if not any(c.numeric and not c.low.startswith("_") for c in summary) and any(
        c.numeric for c in block
    ):
        report.warn(
            "No column looked like a metric (by its values or its name), so every column was "
            "kept as a param."
        )
    for column in config:
        if column.low.startswith("_") and column.numeric:
            summary.insert(0, column)  # W&B's own keys are summary wherever they stand
            continue
        spec.set(column, "param", "W&B config (before the summary columns)")
    for column in summary:
        if column.low == "_step":
            spec.step_at = column.index
            spec.set(column, "step", "W&B's _step: the step of the summary values")
        elif column.low == "_timestamp":
            spec.wall_at = column.index
            spec.set(column, "time", "W&B's _timestamp: the wall time of the summary values")
        elif column.low.startswith("_"):
            spec.set(column, "ignore", "a W&B internal summary key")
        elif column.numeric:
            spec.set(column, "metric", "W&B summary: the run's final value")
        else:
            spec.set(column, "param", "W&B summary holding text, kept as a param")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text in BLANK_WORDS else text


def _warn_repeated_names(runs: list[RunData], report: Report) -> None:
    names = pd.Series([run.name for run in runs])
    repeated = names[names.duplicated()].unique().tolist()
    if repeated:
        report.warn(
            f"Several rows share the run name {quoted(repeated)}; each row was kept as its own run."
        )


def chart_x_column(names: list[str]) -> int | None:
    """The x-axis of a chart export: a step column, else the first that names no run."""
    step_at = find([n.strip().lower() for n in names], STEP_COLUMNS)
    if step_at is not None and not split_chart_column(names[step_at]):
        return step_at
    return next((i for i, n in enumerate(names) if n.strip() and not split_chart_column(n)), None)


def split_chart_column(name: str) -> tuple[str, str, str] | None:
    """('run', 'metric', 'value' | 'lower' | 'upper') from '<run> - <metric>[__MIN|__MAX]'."""
    kind = "value"
    if name.endswith("__MIN"):
        name, kind = name[: -len("__MIN")], "lower"
    elif name.endswith("__MAX"):
        name, kind = name[: -len("__MAX")], "upper"
    # A display name may hold " - " more likely than a metric key does: split at the last one.
    run, separator, metric = name.rpartition(" - ")
    if not separator or not run.strip() or not metric.strip():
        return None
    return run.strip(), metric.strip(), kind


def _parse_chart_file(
    source: TextSource, report: Report, progress: Progress, *, limits: Limits
) -> list[RunData]:
    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    columns = dialect.lowered()
    step_at = chart_x_column(dialect.columns)
    if step_at is None:
        raise ImportFailed(
            f"“{source.name}” is not a W&B chart export: it needs an x-axis column (Step, or "
            "the chart's x metric such as epoch) beside “<run> - <metric>” columns; it has "
            f"{quoted(dialect.columns)}."
        )
    if not any(split_chart_column(n) for i, n in enumerate(dialect.columns) if i != step_at):
        raise ImportFailed(
            f"“{source.name}” is not a W&B chart export: it has no “<run> - <metric>” column; "
            f"it has {quoted(dialect.columns)}."
        )
    x_name = dialect.columns[step_at]
    layout: dict[tuple[str, str], dict[str, int]] = {}
    unknown = []
    for index, name in enumerate(dialect.columns):
        if index == step_at or (columns[index] in STEP_COLUMNS and not split_chart_column(name)):
            continue
        parts = split_chart_column(name)
        if parts is None:
            unknown.append(name or f"column {index + 1}")
            continue
        layout.setdefault(parts[:2], {})[parts[2]] = index
    if unknown:
        report.warn(
            f"Unknown columns were ignored: {quoted(unknown)} (a W&B chart export has Step, then "
            "“<run> - <metric>” columns)."
        )
    orphans = [f"{run} - {metric}" for (run, metric), at in layout.items() if "value" not in at]
    if orphans:
        report.warn(f"Bounds without their series were ignored: {quoted(orphans)}.")
    collected: dict[tuple[str, str], list] = {
        key: [] for key, at in layout.items() if "value" in at
    }
    empty = set(collected)
    total = 0
    by_position = None  # the x-axis holds fractions (epoch 0.5): steps are the row order
    position = 0
    for chunk, lines in read_table(source, dialect, report, all_text=True, chunksize=CHUNK_ROWS):
        present, parsed, text = numbers(chunk[f"c{step_at}"], dialect.decimal)
        steps, _, fraction = integers(parsed)
        if by_position is None:
            by_position = bool((fraction & ~text).any())
            if by_position:
                report.decide(
                    "step",
                    "the row order (0, 1, 2, …)",
                    f"the chart's x-axis “{x_name}” holds fractions (such as "
                    f"{parsed[fraction & ~text][0]:g}) and steps are whole numbers",
                )
            else:
                why = "the chart's x-axis" + (
                    "" if columns[step_at] in STEP_COLUMNS else " (a custom x metric)"
                )
                report.decide("step", f"“{x_name}”", why)
        if by_position:
            steps = np.arange(position, position + len(chunk), dtype=np.int64)
            fraction = np.zeros(len(chunk), dtype=bool)
        position += len(chunk)
        ok = report.reject_rows(
            lines,
            (
                ("the step is missing", ~present),
                ("the step is not a number", text),
                ("the step is not a whole number (or is out of range)", fraction & ~text),
            ),
        )
        bad_cells = 0
        for key, parts in collected.items():
            at = layout[key]
            has, values, not_number = numbers(chunk[f"c{at['value']}"], dialect.decimal)
            bad_cells += int((not_number & ok).sum())
            take = has & ~not_number & ok
            total += int(take.sum())
            if not take.any():
                continue
            empty.discard(key)
            bounds = [
                numbers(chunk[f"c{at[kind]}"], dialect.decimal)[1][take] if kind in at else None
                for kind in ("lower", "upper")
            ]
            parts.append((steps[take], values[take], bounds[0], bounds[1], lines[take]))
        check_point_count(total, source.name)
        if bad_cells:
            report.warn(f"{plural(bad_cells, 'cell')} that are not numbers were skipped.")
        if len(lines):
            progress(min(1.0, lines[-1] / max(1, source.line_count)))
    runs: dict[str, RunData] = {}
    for (run_name, metric), parts in collected.items():
        if not parts:
            continue
        run = runs.setdefault(run_name, RunData(name=run_name, external_id=run_name))
        lower = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
        upper = None if parts[0][3] is None else np.concatenate([p[3] for p in parts])
        run.series[metric] = make_series(
            metric,
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            report,
            run=run_name,
            wall_times=None,
            lower=lower,
            upper=upper,
            lines=np.concatenate([p[4] for p in parts]),
        )
    if empty and runs:
        report.warn(
            f"Columns with no values were ignored: {quoted(f'{r} - {m}' for r, m in empty)}."
        )
    return list(runs.values())
