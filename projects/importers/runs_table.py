"""Runs tables, one run a row (W&B runs exports, MLflow runs CSVs), read into runs by the roles of
their columns (column_split.py finds where params end and metrics begin).

Text columns are params on both sides (W&B summary can hold text); a metric is a one-point
series. The roles go through `settle_roles`, so the user's choices (preview, --role, API) win.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..wording import agree, plural, quoted
from .choices import Choices, settle_roles
from .column_split import Column
from .data import RunData
from .dates import read_times, utc_from_timestamp
from .report import Report
from .series import Series
from .tables import BLANK_WORDS


def text(value) -> str:
    """A cell as stripped text, "" when blank (the MLflow UI's quote before =+-@ removed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    out = str(value).strip()
    if len(out) > 1 and out[0] == "'" and out[1] in "=+-@":
        out = out[1:]
    return "" if out in BLANK_WORDS else out


@dataclass
class Spec:
    """How to read each column of a runs table: roles and the keys values land under."""

    guessed: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (role, why)
    keys: dict[int, str] = field(default_factory=dict)  # index -> param/metric/tag key
    name_at: int | None = None
    id_at: int | None = None
    start_at: int | None = None
    status_at: int | None = None
    step_at: int | None = None
    wall_at: int | None = None
    deleted_at: int | None = None  # MLflow lifecycle_stage
    labels_at: int | None = None  # W&B "Tags": a comma-separated list of labels
    nameless: str = "the run has no name"  # the rejection of a row without name or id

    def set(self, column: Column, role: str, why: str, key: str | None = None) -> None:
        self.guessed[column.label] = (role, why)
        if key is not None:
            self.keys[column.index] = key


def read_runs(
    columns: list[Column],
    spec: Spec,
    cells: np.ndarray,
    lines: np.ndarray,
    report: Report,
    choices: Choices,
    *,
    tracker: str,
) -> list[RunData]:
    """Build one run a row, reading columns by their settled roles (the user's choices win)."""
    labels = [c.label for c in columns]
    roles = settle_roles(labels, spec.guessed, report, choices)
    by_index = {c.index: roles[c.label] for c in columns}
    for column in columns:
        given = choices.role(column.label)
        if not given or given == spec.guessed.get(column.label, ("",))[0]:
            continue
        # The user moved this column: it is read by its new role, not by the guess.
        for attr in ("name_at", "id_at", "start_at", "status_at", "step_at", "wall_at"):
            if getattr(spec, attr) == column.index:
                setattr(spec, attr, None)
        if given == "run":
            spec.name_at = column.index
        elif given == "time":
            spec.start_at = column.index
        elif given == "step":
            spec.step_at = column.index
        spec.keys[column.index] = column.name
    specials = {
        spec.name_at, spec.id_at, spec.start_at, spec.status_at, spec.step_at, spec.wall_at,
        spec.deleted_at, spec.labels_at,
    }  # fmt: skip
    params = [c for c in columns if by_index[c.index] == "param" and c.index not in specials]
    tags = [c for c in columns if by_index[c.index] == "tag" and c.index not in specials]
    metrics = [c for c in columns if by_index[c.index] == "metric" and c.index not in specials]
    unreadable = [c.label for c in metrics if not c.numeric and c.present.any()]
    if unreadable:
        report.warn(
            f"Columns set as metrics hold text and were read as params: {quoted(unreadable)}."
        )
        params += [c for c in metrics if c.label in unreadable]
        metrics = [c for c in metrics if c.label not in unreadable]
    by_col = {c.index: c for c in columns}
    started = None
    if spec.start_at is not None:
        column = by_col[spec.start_at]
        started = read_times(
            pd.Series(cells[:, spec.start_at]).map(text),
            column=column.name,
            report=report,
            order=choices.date_order,
            lines=lines,
        ).seconds
    steps = np.zeros(len(lines), dtype=np.int64)
    if spec.step_at is not None:
        values = by_col[spec.step_at].values
        ok = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2.0**62)
        steps[ok] = values[ok].astype(np.int64)
    walls = None if spec.wall_at is None else by_col[spec.wall_at].values
    texts = {
        i: clean(cells[:, i])
        for i in {spec.name_at, spec.id_at, spec.status_at, spec.labels_at, spec.deleted_at}
        | {c.index for c in params + tags}
        if i is not None
    }
    empty = [""] * len(lines)
    names, idents = texts.get(spec.name_at, empty), texts.get(spec.id_at, empty)
    tag_cells = [(spec.keys.get(c.index, c.name), c.low, texts[c.index]) for c in tags]
    param_cells = [(spec.keys.get(c.index, c.name), texts[c.index]) for c in params]
    metric_cells = [
        (spec.keys.get(c.index, c.name), c.present.tolist(), c.values.tolist())
        for c in metrics
        if c.numeric
    ]
    runs, deleted = [], 0
    for row, line in enumerate(lines):
        name, ident = names[row], idents[row]
        if not name and not ident:
            report.reject(spec.nameless, int(line))
            continue
        if spec.deleted_at is not None and texts[spec.deleted_at][row] == "deleted":
            deleted += 1
            report.rows_accepted += 1
            continue
        run = RunData(name=name or ident, external_id=ident or name)
        if started is not None:
            run.started_at = utc_from_timestamp(started[row])
        if spec.status_at is not None:
            status = texts[spec.status_at][row]
            run.status = status.upper()
            if status and spec.status_at in spec.keys:
                run.tags[spec.keys[spec.status_at]] = status
        if spec.labels_at is not None:
            for label in texts[spec.labels_at][row].split(","):
                if label.strip():
                    run.tags[label.strip()] = ""
        for key, low, values in tag_cells:
            value = values[row]
            if value and not (low == "notes" and value == "-"):
                run.tags[key] = value
        for key, values in param_cells:
            if values[row]:
                run.params[key] = values[row]
        step = np.array([steps[row]], dtype=np.int64)
        wall = None
        if walls is not None and np.isfinite(walls[row]):
            wall = np.array([walls[row]], dtype=np.float64)
        for key, present, values in metric_cells:
            if present[row]:
                run.series[key] = _one_point(key, step, values[row], wall, report)
        report.rows_accepted += 1
        runs.append(run)
    if deleted:
        report.warn(
            f"{plural(deleted, f'deleted {tracker} run')} {agree(deleted, 'was', 'were')} skipped."
        )
    return runs


def clean(values: np.ndarray) -> list[str]:
    """`text()` for a whole column at once: stripped, "" when blank, the UI's quote removed."""
    out = pd.Series(values, dtype=object).fillna("").astype(str).str.strip()
    if out.str.startswith("'").any():
        out = out.str.replace(r"^'(?=[=+\-@])", "", regex=True)
    return out.where(~out.isin(BLANK_WORDS), "").tolist()


def _one_point(key: str, step: np.ndarray, value: float, wall, report: Report) -> Series:
    """make_series for a runs table's single value, without its machinery for long series."""
    if math.isinf(value):
        report._inf += 1
        value = math.nan
    elif math.isnan(value):
        report._nan += 1
        report._nan_series += 1
    return Series(key, step, np.array([value], dtype=np.float64), wall)
