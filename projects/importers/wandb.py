"""Weights & Biases CSV exports: the runs table and a chart panel.

Runs table. The columns are Name, State, Notes, User, Tags, Created, Runtime, Sweep, then the
config keys, then the summary keys; the file does not mark where config ends. W&B writes config
before summary, so the rule is: the summary starts at the first numeric column whose name looks
like a metric (it holds "/", starts with "_", or names a metric word such as loss, acc, f1,
rmse). Before it every column is a param. From it on, numeric columns are metrics, "_step" is
their step, "_timestamp" their wall time, other "_" columns (W&B internals) are skipped and text
columns are params. A table with no such column is all params. A runs table holds only final
values: each metric becomes a one-point series at "_step" (0 without it).

Chart export. `Step`, then `<run> - <metric>` per run with `__MIN` and `__MAX` companions, which
become the lower and upper bounds of that series. Blank cells are no point.
"""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pandas as pd

from .base import (
    Limits,
    Progress,
    Report,
    RunData,
    check_point_count,
    each_source,
    make_series,
    parse_datetime,
    plural,
    quoted,
)
from .detect import STEP_COLUMNS, find
from .text import (
    BLANK_WORDS,
    TextSource,
    dialect_notes,
    integers,
    numbers,
    read_table,
    read_whole_table,
    sniff_csv,
)

METRIC_WORDS = frozenset(
    {
        "loss", "acc", "accuracy", "f1", "auc", "auroc", "precision", "recall", "rmse", "mse",
        "mae", "mape", "r2", "error", "err", "perplexity", "ppl", "bleu", "rouge", "reward",
        "iou", "map", "wer", "cer", "ndcg", "dice", "top1", "top5",
    }
)  # fmt: skip
TAG_COLUMNS = {
    "state": "wandb.state",
    "user": "wandb.user",
    "notes": "wandb.notes",
    "sweep": "wandb.sweep",
    "runtime": "wandb.runtime",
}
CHUNK_ROWS = 200_000


def looks_like_metric(name: str) -> bool:
    """Whether a column name reads as a logged metric rather than a config key."""
    if "/" in name or name.startswith("_"):
        return True
    return bool(set(re.split(r"[^a-z0-9]+", name.lower())) & METRIC_WORDS)


def parse_runs(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read W&B runs table exports: one run a row with config, tags and summary values."""
    return each_source(plan, report, progress, partial(_parse_runs_file, limits=limits))


def parse_chart(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read W&B chart exports: Step and `<run> - <metric>` columns with __MIN/__MAX bounds."""
    return each_source(plan, report, progress, partial(_parse_chart_file, limits=limits))


def _parse_runs_file(
    source: TextSource, report: Report, progress: Progress, *, limits: Limits
) -> list[RunData]:
    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    columns = dialect.lowered()
    table, lines = read_whole_table(source, dialect, report)
    progress(0.5)
    if table.empty:
        return []
    fixed = {
        name: columns.index(name)
        for name in ("name", "tags", "created", *TAG_COLUMNS)
        if name in columns
    }
    fixed_ids = set(fixed.values())
    id_at = find(columns, ("id", "run id", "run_id"))
    if id_at is not None:
        fixed_ids.add(id_at)
    rest = [i for i in range(len(columns)) if i not in fixed_ids]
    parsed = {i: numbers(table[f"c{i}"], dialect.decimal) for i in rest}
    numeric = {i for i in rest if parsed[i][0].any() and not parsed[i][2].any()}
    boundary = next(
        (i for i in rest if i in numeric and looks_like_metric(dialect.columns[i])), None
    )
    if boundary is None and numeric:
        report.warn(
            "No column looked like a metric (a name with “/”, starting with “_”, or naming a "
            "metric such as loss or accuracy), so every column was kept as a param."
        )
    summary = [i for i in rest if boundary is not None and i >= boundary]
    config = [i for i in rest if i not in summary]
    step_at = next((i for i in summary if columns[i] == "_step"), None)
    time_at = next((i for i in summary if columns[i] == "_timestamp"), None)
    metrics = [i for i in summary if i in numeric and not columns[i].startswith("_")]
    text_summary = [i for i in summary if i not in numeric and not columns[i].startswith("_")]
    cells = table.to_numpy(dtype=object)
    runs = []
    for row, line in enumerate(lines):
        name = _text(cells[row, fixed["name"]]) if "name" in fixed else ""
        if not name:
            report.reject("the run has no name", int(line))
            continue
        run = RunData(name=name, external_id=name)
        if id_at is not None and _text(cells[row, id_at]):
            run.external_id = _text(cells[row, id_at])
        if "created" in fixed:
            run.started_at = parse_datetime(_text(cells[row, fixed["created"]]))
        if "tags" in fixed:
            for tag in _text(cells[row, fixed["tags"]]).split(","):
                if tag.strip():
                    run.tags[tag.strip()] = ""
        for column, tag in TAG_COLUMNS.items():
            value = _text(cells[row, fixed[column]]) if column in fixed else ""
            if value and not (column == "notes" and value == "-"):
                run.tags[tag] = value
        for index in config + text_summary:
            value = _text(cells[row, index])
            if value:
                run.params[dialect.columns[index]] = value
        step = 0
        if step_at is not None and parsed[step_at][0][row]:
            whole, missing, fraction = integers(parsed[step_at][1][row : row + 1])
            if not (missing[0] or fraction[0]):
                step = int(whole[0])
        wall = None
        if time_at is not None and parsed[time_at][0][row]:
            wall = [parsed[time_at][1][row]]
        for index in metrics:
            present, values, _ = parsed[index]
            if present[row]:
                key = dialect.columns[index]
                run.series[key] = make_series(
                    key, [step], [values[row]], report, run=name, wall_times=wall
                )
        report.rows_accepted += 1
        runs.append(run)
    _warn_repeated_names(runs, report)
    progress(1.0)
    return runs


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
    step_at = find(columns, STEP_COLUMNS)
    layout: dict[tuple[str, str], dict[str, int]] = {}
    unknown = []
    for index, name in enumerate(dialect.columns):
        if index == step_at or columns[index] in STEP_COLUMNS:
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
    for chunk, lines in read_table(source, dialect, report, all_text=True, chunksize=CHUNK_ROWS):
        present, parsed, text = numbers(chunk[f"c{step_at}"], dialect.decimal)
        steps, _, fraction = integers(parsed)
        ok = np.ones(len(chunk), dtype=bool)
        for reason, bad in (
            ("the step is missing", ~present),
            ("the step is not a number", text),
            ("the step is not a whole number (or is out of range)", fraction & ~text),
        ):
            bad = bad & ok
            if bad.any():
                report.reject(reason, lines[bad], count=int(bad.sum()))
                ok &= ~bad
        report.rows_accepted += int(ok.sum())
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
