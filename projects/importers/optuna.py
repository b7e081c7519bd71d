"""Optuna: `study.trials_dataframe().to_csv()`, one trial a row.

Columns: `number`, `value` (one objective) or `values_0..n` / `values_<metric name>` (several),
`datetime_start`, `datetime_complete`, `duration`, `params_<name>`, `user_attrs_<name>`,
`system_attrs_<name>`, `state`, and the pandas index first unless saved with index=False.

Each trial is a run named "trial <number>". `params_*` are its params (prefix dropped), each
objective value a one-point metric at step 0 (`value`; `values_0`; `values_<name>` as <name>),
`duration` a one-point metric `duration_s` in seconds, `user_attrs_*` tags (prefix dropped: they
are the user's notes on a trial, not the search space), `system_attrs_*` tags `optuna.<name>`,
`state` the run's status (COMPLETE, PRUNED, FAIL, RUNNING, WAITING), `datetime_start` its
start time and `datetime_complete` the wall time of its values.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from . import rows
from .column_split import looks_like_metric
from .data import RunData
from .dates import read_times, utc_from_timestamp
from .limits import Limits
from .progress import Progress, each_source
from .report import Report
from .rows import read_dict
from .series import make_series

# The column families trials_dataframe() writes (lowered), and the states a trial can be in.
FIXED = ("number", "value", "datetime_start", "datetime_complete", "duration", "state")
PREFIXES = (
    "params_",
    "user_attrs_",
    "system_attrs_",
    "values_",
    "value_",
    "intermediate_values_",
)
# trials_dataframe(multi_index=True) writes these groups over a second header row of names.
GROUPS = ("params", "user_attrs", "system_attrs", "values", "value", "intermediate_values")
INTERMEDIATE = re.compile(r"^intermediate_values_(-?\d+)$", re.IGNORECASE)
STATES = {"COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"}


def looks_like_trials(columns: list[str]) -> bool:
    """Whether a lowered header is a trials_dataframe(): judged from all its column families."""
    names = [c for i, c in enumerate(columns) if not rows.is_index_column(c, i)]
    if not names or "number" not in names or {"name", "run", "run_id", "step"} & set(names):
        return False
    known = [c for c in names if c in FIXED or c.startswith(PREFIXES)]
    objective = "value" in names or any(c.startswith(("values_", "value_")) for c in names)
    params = any(c.startswith("params_") or c == "params" for c in names)
    families = [
        objective,
        params,
        "state" in names,
        "datetime_start" in names or "datetime_complete" in names,
        any(c.startswith(("user_attrs_", "system_attrs_")) for c in names),
    ]
    # A trial's number, state and value together are Optuna's (scripts write them with bare
    # param names too). Otherwise number and one more column could be any table: two Optuna
    # families beside the number, one of them the objective or the params, and nearly every
    # column Optuna's make it sure.
    if objective and "state" in names:
        return True
    return (objective or params) and sum(families) >= 2 and len(known) >= 0.8 * len(names)


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read Optuna trials tables: one run a trial."""
    return each_source(
        plan, report, progress, partial(_parse_file, limits=limits, choices=plan.choices)
    )


def _guess(name: str, position: int, table: rows.Table, index: int) -> tuple[str, str]:
    low = name.strip().lower()
    if rows.is_index_column(name, position):
        return "ignore", "the row index pandas writes"
    if low == "number":
        return "run", "the trial number names the run (“trial 12”)"
    if low == "value" or low.startswith(("values_", "value_")):
        return "metric", "an objective value of the trial"
    if low == "datetime_start":
        return "time", "when the trial started"
    if low == "datetime_complete":
        return "time", "when the trial ended: the wall time of its values"
    if low == "duration":
        return "metric", "how long the trial took, in seconds (duration_s)"
    if low == "state":
        return "tag", "the trial's state (COMPLETE, PRUNED, FAIL...) is the run's status"
    if INTERMEDIATE.match(low):
        return "metric", "a value the trial reported at this step: the series intermediate_value"
    if low.startswith("params_"):
        return "param", "a sampled hyperparameter (params_ dropped)"
    if low.startswith("user_attrs_"):
        return "tag", "a user attribute of the trial (user_attrs_ dropped)"
    if low.startswith("system_attrs_"):
        return "tag", "an attribute Optuna set (tag optuna.<name>)"
    if low in ("params", "user_attrs"):
        role = "param" if low == "params" else "tag"
        return role, "a dict of the trial's " + ("params" if low == "params" else "user attributes")
    if table.is_numeric(index) and looks_like_metric(name):
        return "metric", "not an Optuna column; its cells are numbers and its name a metric's"
    return "param", "not an Optuna column: a hyperparameter written under its own name"


def _key(name: str) -> str:
    """The param, tag or metric name a column stands for."""
    low = name.lower()
    for prefix, replacement in (
        ("params_", ""),
        ("user_attrs_", ""),
        ("system_attrs_", "optuna."),
    ):
        if low.startswith(prefix):
            return replacement + name[len(prefix) :]
    if low.startswith("values_") and not re.fullmatch(r"\d+", name[len("values_") :]):
        return name[len("values_") :]  # set_metric_names(): values_<metric name>
    if low.startswith("value_"):
        return name[len("value_") :]  # set_metric_names() with one objective: value_<name>
    if low == "duration":
        return "duration_s"
    return name


def _parse_file(
    source, report: Report, progress: Progress, *, limits: Limits, choices
) -> list[RunData]:
    table = rows.read(source, report, limits)
    progress(0.5)
    if table is None:
        return []
    table = _flatten_two_row_header(table, report)
    if table is None:
        return []
    columns = table.columns
    guessed = {
        (name or f"column {i + 1}"): _guess(name, i, table, i) for i, name in enumerate(columns)
    }
    roles = rows.settle(table, guessed, report, choices)
    lowered = [c.strip().lower() for c in columns]
    unknown = [
        columns[i]
        for i, low in enumerate(lowered)
        if not (
            low in FIXED
            or low in ("params", "user_attrs")
            or low.startswith(PREFIXES)
            or rows.is_index_column(low, i)
        )
    ]
    rows.warn_unknown(unknown, "an Optuna trials table", report)
    run_at = next((i for i, r in roles.items() if r == "run"), None)
    times = {
        i: read_times(
            table.frame[f"c{i}"], column=columns[i], report=report, order=choices.date_order
        ).seconds
        for i, role in roles.items()
        if role == "time"
    }
    start_at = _first(lowered, roles, "datetime_start", "time")
    end_at = _first(lowered, roles, "datetime_complete", "time")
    if start_at is None and times:
        start_at = next(iter(times))
    state_at = lowered.index("state") if "state" in lowered else None
    durations = {}
    for i, role in roles.items():
        if role == "metric" and lowered[i] == "duration":
            durations[i] = _seconds(table.frame[f"c{i}"])
    if run_at is None:
        report.decide(
            "run name",
            "trial <row number>",
            "the table has no “number” column; rows are numbered from 0",
        )
    else:
        report.decide(
            "run name", "trial <number>", f"each row is an Optuna trial; “{columns[run_at]}”"
        )
    # trials_dataframe(attrs=(..., "intermediate_values")): one column a reported step.
    intermediate = {
        i: int(INTERMEDIATE.match(low).group(1))
        for i, low in enumerate(lowered)
        if INTERMEDIATE.match(low) and roles[i] == "metric"
    }
    runs: list[RunData] = []
    seen: set[str] = set()
    states: dict[str, int] = {}
    for row, line in enumerate(table.lines):
        number = table.text(row, run_at) if run_at is not None else str(row)
        if not number:
            report.reject("the trial has no number", int(line))
            continue
        number = _whole(number)
        name = f"trial {number}"
        if name in seen:
            report.warn(f"Several rows are trial {number}; each was kept as its own run.")
        seen.add(name)
        run = RunData(name=name, external_id=number)
        end = times[end_at][row] if end_at is not None else np.nan
        if start_at is not None:
            run.started_at = utc_from_timestamp(times[start_at][row])
        if state_at is not None and roles[state_at] != "ignore":
            state = table.text(row, state_at).upper().removeprefix("TRIALSTATE.")
            if state:
                run.status = state
                states[state] = states.get(state, 0) + 1
        _intermediate(run, table, intermediate, row, report)
        for i, role in roles.items():
            if i in (run_at, state_at) or i in intermediate or role in ("ignore", "time", "run"):
                continue
            key = _key(columns[i])
            if role == "metric":
                if i in durations:
                    value = durations[i][row]
                else:
                    present, values, bad = table.numbers(i)
                    value = values[row] if present[row] and not bad[row] else np.nan
                    if present[row] and bad[row]:
                        report.warn(f"Text in the metric column “{columns[i]}” was skipped.")
                if not np.isnan(value):
                    run.series[key] = rows.one_point(
                        key, float(value), report, run=name, wall_time=end
                    )
            elif role in ("param", "tag"):
                text = table.text(row, i)
                target = run.params if role == "param" else run.tags
                if text and lowered[i] in ("params", "user_attrs"):
                    target.update(read_dict(text, key))
                elif text:
                    target[key] = text
            else:
                report.warn(f"The role “{role}” does not apply to a trials table; “{key}” skipped.")
        report.rows_accepted += 1
        runs.append(run)
    odd = sorted(set(states) - STATES)
    if odd:
        report.warn(f"Trial states Optuna does not write were kept as they are: {', '.join(odd)}.")
    if states:
        counted = ", ".join(f"{s} {n}" for s, n in sorted(states.items()))
        report.decide("status", counted, "the “state” column gives each trial's state")
    progress(1.0)
    return runs


def _flatten_two_row_header(table: rows.Table, report: Report) -> rows.Table | None:
    """trials_dataframe(multi_index=True).to_csv(): groups (params, user_attrs...) on the header
    line, their names on the next; the two become params_<name> and so on."""
    lowered = [c.strip().lower() for c in table.columns]
    grouped = [i for i, low in enumerate(lowered) if low in GROUPS]
    if not grouped or "number" not in lowered:
        return table
    number = lowered.index("number")
    first = [table.text(0, i) for i in range(len(lowered))]
    if first[number] or not any(first[i] for i in grouped):
        return table
    names = list(table.columns)
    for i in grouped:
        if first[i]:
            names[i] = f"{table.columns[i]}_{first[i]}"
    report.decide(
        "columns",
        "two header lines",
        "the file is trials_dataframe(multi_index=True): groups such as “params” on the first "
        "header line and their names on the second",
    )
    report.rows_read -= 1
    if len(table.lines) == 1:
        return None
    dialect = replace(table.dialect, columns=names)
    frame = table.frame.iloc[1:].reset_index(drop=True)
    return rows.Table(dialect, table.cells[1:], table.lines[1:], frame, {})


def _intermediate(run: RunData, table: rows.Table, columns: dict, row: int, report: Report):
    """The values a trial reported (trial.report) as one series over their steps."""
    steps, values = [], []
    for i, step in sorted(columns.items(), key=lambda item: item[1]):
        present, numbers, bad = table.numbers(i)
        if present[row] and not bad[row]:
            steps.append(step)
            values.append(numbers[row])
    if steps:
        run.series["intermediate_value"] = make_series(
            "intermediate_value", steps, values, report, run=run.name, wall_times=None
        )


def _first(lowered: list[str], roles: dict[int, str], name: str, role: str) -> int | None:
    return next((i for i, low in enumerate(lowered) if low == name and roles[i] == role), None)


def _whole(text: str) -> str:
    """'12.0' (a number column pandas made float) as '12'."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _seconds(column: pd.Series) -> np.ndarray:
    """Durations as pandas writes timedeltas ('0 days 00:00:01.5') or plain seconds."""
    text = column.astype("string").str.strip()
    numeric = pd.to_numeric(text, errors="coerce")
    spans = pd.to_timedelta(text.where(numeric.isna()), errors="coerce")
    seconds = spans.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(numeric.notna(), numeric.to_numpy(dtype=np.float64, na_value=np.nan), seconds)
