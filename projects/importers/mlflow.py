"""MLflow: the runs table as CSV, and a file store (mlruns/) uploaded as a zip.

Runs CSV comes in two shapes. `mlflow.search_runs(...).to_csv()` prefixes its columns
(`metrics.rmse`, `params.alpha`, `tags.mlflow.runName`). The MLflow UI's download has
`Start Time, Duration, Run ID, Name, Source Type, Source Name, User, Status`, then params,
metrics and tags under their bare names; there the rule is: a column named `mlflow.*` is a tag,
a column whose cells are all numbers is a metric, any other is a param (so a numeric param
becomes a metric: the file does not say). Both give only the latest value of each metric,
stored as a one-point series at step 0.

File store. Runs are folders with a meta.yaml holding a run id; their metrics/<key> files hold
"<timestamp_ms> <value> <step>" lines (keys may be nested folders: metrics/eval/r2 is "eval/r2").
Runs or experiments whose lifecycle_stage is "deleted", and anything under .trash, are skipped
and counted. MLflow 1.x lines have no step ("<timestamp_ms> <value>"); MLflow itself reads
them as step 0, which would fold a whole curve into one point, so Cairn uses the line's position
in the file (0, 1, 2, ...) as its step and says so.
"""

from __future__ import annotations

import io
import math
from array import array
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .base import (
    ImportFailed,
    Limits,
    Progress,
    Report,
    RunData,
    check_point_count,
    check_series_count,
    each_source,
    load_yaml,
    make_series,
    parse_datetime,
    plural,
    quoted,
    utc_from_timestamp,
)
from .text import BLANK_WORDS, TextSource, dialect_notes, numbers, read_whole_table, sniff_csv

SEARCH_RUNS_KNOWN = {
    "run_id",
    "experiment_id",
    "status",
    "artifact_uri",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "run_name",
}
UI_TAGS = {
    "duration": "mlflow.duration",
    "source type": "mlflow.source.type",
    "source name": "mlflow.source.name",
    "user": "mlflow.user",
    "status": "mlflow.status",
}
UI_FIXED = {"start time", "run id", "name", *UI_TAGS}


def parse_runs_csv(plan, report: Report, limits: Limits, progress: Progress):
    """Read MLflow runs tables (search_runs CSV or the UI's download): one run a row."""
    return each_source(plan, report, progress, partial(_parse_runs_file, limits=limits))


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    # The UI prefixes a quote to cells starting with = + - @ against spreadsheet injection.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return "" if text in BLANK_WORDS else text


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
    parsed = {i: numbers(table[f"c{i}"], dialect.decimal) for i in range(len(columns))}
    cells = table.to_numpy(dtype=object)
    if "run_id" in columns:
        runs = _search_runs_rows(dialect, columns, cells, parsed, lines, report)
    else:
        runs = _ui_rows(dialect, columns, cells, parsed, lines, report)
    progress(1.0)
    return runs


def _search_runs_rows(dialect, columns, cells, parsed, lines, report: Report) -> list[RunData]:
    at = {name: columns.index(name) for name in SEARCH_RUNS_KNOWN if name in columns}
    unknown = [
        dialect.columns[i] or f"column {i + 1}"
        for i, name in enumerate(columns)
        if name not in SEARCH_RUNS_KNOWN
        and not name.startswith(("metrics.", "params.", "tags."))
        and not (i == 0 and not name)  # the index pandas writes without index=False
    ]
    if unknown:
        report.warn(f"Unknown columns were ignored: {quoted(unknown)}.")
    runs, deleted = [], 0
    for row, line in enumerate(lines):
        run_id = _text(cells[row, at["run_id"]])
        if not run_id:
            report.reject("the run_id is missing", int(line))
            continue
        if "lifecycle_stage" in at and _text(cells[row, at["lifecycle_stage"]]) == "deleted":
            deleted += 1
            report.rows_accepted += 1
            continue
        run = RunData(name=run_id, external_id=run_id)
        if "start_time" in at:
            run.started_at = parse_datetime(_text(cells[row, at["start_time"]]))
        for index, name in enumerate(dialect.columns):
            low = columns[index]
            value = _text(cells[row, index])
            if low.startswith("params.") and value:
                run.params[name[len("params.") :]] = value
            elif low.startswith("tags.") and value:
                run.tags[name[len("tags.") :]] = value
            elif low.startswith("metrics."):
                present, values, bad = parsed[index]
                if present[row] and not bad[row]:
                    key = name[len("metrics.") :]
                    run.series[key] = make_series(
                        key, [0], [values[row]], report, run=run_id, wall_times=None
                    )
        for column, tag in (("experiment_id", "mlflow.experiment_id"), ("status", "mlflow.status")):
            if column in at and _text(cells[row, at[column]]):
                run.tags.setdefault(tag, _text(cells[row, at[column]]))
        run.name = (
            run.tags.get("mlflow.runName")
            or (_text(cells[row, at["run_name"]]) if "run_name" in at else "")
            or run_id
        )
        report.rows_accepted += 1
        runs.append(run)
    if deleted:
        report.warn(
            f"{plural(deleted, 'deleted MLflow run')} {'was' if deleted == 1 else 'were'} skipped."
        )
    return runs


def _ui_rows(dialect, columns, cells, parsed, lines, report: Report) -> list[RunData]:
    at = {name: columns.index(name) for name in UI_FIXED if name in columns}
    rest = [i for i in range(len(columns)) if i not in at.values()]
    tags = [i for i in rest if columns[i].startswith("mlflow.")]
    metrics = [i for i in rest if i not in tags and parsed[i][0].any() and not parsed[i][2].any()]
    params = [i for i in rest if i not in tags and i not in metrics]
    runs = []
    for row, line in enumerate(lines):
        run_id = _text(cells[row, at["run id"]])
        name = _text(cells[row, at["name"]]) if "name" in at else ""
        if not run_id and not name:
            report.reject("the run has neither a Run ID nor a Name", int(line))
            continue
        run = RunData(name=name or run_id, external_id=run_id)
        if "start time" in at:
            run.started_at = parse_datetime(_text(cells[row, at["start time"]]))
        for column, tag in UI_TAGS.items():
            if column in at and _text(cells[row, at[column]]):
                run.tags[tag] = _text(cells[row, at[column]])
        for index in tags:
            if _text(cells[row, index]):
                run.tags[dialect.columns[index]] = _text(cells[row, index])
        for index in params:
            if _text(cells[row, index]):
                run.params[dialect.columns[index]] = _text(cells[row, index])
        for index in metrics:
            present, values, _ = parsed[index]
            if present[row]:
                key = dialect.columns[index]
                run.series[key] = make_series(
                    key, [0], [values[row]], report, run=run.name, wall_times=None
                )
        report.rows_accepted += 1
        runs.append(run)
    return runs


def parse_store(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read zipped MLflow file stores: experiments, runs, params, tags and metric histories."""
    out = []
    for number, store in enumerate(plan.stores):
        report.current_file = store.name if len(plan.stores) > 1 else ""
        part = progress.part(number / len(plan.stores), (number + 1) / len(plan.stores))
        out.append(_parse_store(store.path, store.name, report, limits, part))
    report.current_file = ""
    return out


def _parse_store(
    root: Path, name: str, report: Report, limits: Limits, progress: Progress
) -> list[RunData]:
    experiments: dict[Path, dict] = {}
    run_dirs: list[tuple[Path, dict]] = []
    trashed_runs = trashed_experiments = 0
    for meta_path in sorted(root.rglob("meta.yaml")):
        in_trash = ".trash" in meta_path.relative_to(root).parts
        try:
            meta = load_yaml(meta_path)
        except ValueError as exc:
            report.warn(f"“{meta_path.relative_to(root)}” could not be read ({exc}); skipped.")
            continue
        if not isinstance(meta, dict):
            continue
        is_run = "run_uuid" in meta or "run_id" in meta
        if in_trash:
            trashed_runs += is_run
            trashed_experiments += not is_run and "experiment_id" in meta
        elif is_run:
            run_dirs.append((meta_path.parent, meta))
        elif "experiment_id" in meta or "artifact_location" in meta:
            experiments[meta_path.parent] = meta
    deleted_experiments = {
        path for path, meta in experiments.items() if meta.get("lifecycle_stage") == "deleted"
    }
    check_series_count(len(run_dirs), name)
    runs: list[RunData] = []
    deleted = trashed_runs
    for number, (folder, meta) in enumerate(run_dirs):
        if meta.get("lifecycle_stage") == "deleted" or folder.parent in deleted_experiments:
            deleted += 1
            continue
        experiment = experiments.get(folder.parent, {})
        runs.append(_read_run(folder, meta, experiment, report, name))
        progress((number + 1) / len(run_dirs))
    if deleted:
        report.warn(
            f"{plural(deleted, 'deleted MLflow run')} {'was' if deleted == 1 else 'were'} skipped."
        )
    if deleted_experiments or trashed_experiments:
        count = len(deleted_experiments) + trashed_experiments
        report.warn(f"{plural(count, 'deleted MLflow experiment')} skipped with their runs.")
    if not runs and deleted:
        raise ImportFailed(
            f"Every run in “{name}” is deleted ({plural(deleted, 'deleted run')} skipped); "
            "there is nothing to import."
        )
    if not run_dirs and not deleted:
        raise ImportFailed(
            f"“{name}” has MLflow meta.yaml files but no runs (a run is a folder with a "
            "meta.yaml holding its run_id)."
        )
    return runs


def _read_run(folder: Path, meta: dict, experiment: dict, report: Report, store: str) -> RunData:
    run_id = str(meta.get("run_id") or meta.get("run_uuid") or folder.name)
    run = RunData(name=run_id, external_id=run_id)
    run.params = _key_files(folder / "params")
    run.tags = _key_files(folder / "tags")
    if experiment.get("name") is not None:
        run.tags["mlflow.experiment"] = str(experiment["name"])
    run.name = str(meta.get("run_name") or run.tags.get("mlflow.runName") or run_id)
    start = meta.get("start_time")
    if isinstance(start, int | float) and not isinstance(start, bool):
        run.started_at = utc_from_timestamp(start / 1000)
    metrics = folder / "metrics"
    if metrics.is_dir():
        for path in sorted(p for p in metrics.rglob("*") if p.is_file()):
            key = path.relative_to(metrics).as_posix()
            series = _read_metric(path, key, run.name, report, store)
            if series is not None:
                run.series[key] = series
    return run


def _key_files(folder: Path) -> dict[str, str]:
    """params/ or tags/: one file a key (nested folders make "a/b"), the content its value."""
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(path, "rb") as handle:
            raw = handle.read(64 * 1024)
        out[path.relative_to(folder).as_posix()] = raw.decode("utf-8", errors="replace").rstrip(
            "\r\n"
        )
    return out


def _read_metric_fast(path: Path, key: str, run_name: str, report: Report, store: str):
    """A well-formed metric file ("<ms> <value> <step>" on every line) in one pandas call.

    None when the file is anything else; the line-by-line reader then says what is wrong.
    """
    data = path.read_bytes()
    if not data or data.startswith((b"\n", b"\r")) or b"\n\n" in data or b"\r\n\r\n" in data:
        return None
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=" ",
            header=None,
            engine="c",
            dtype={0: "float64", 1: "float64", 2: "int64"},
            na_filter=False,
        )
    except (ValueError, OverflowError, pd.errors.ParserError):
        return None
    if frame.shape[1] != 3:
        return None
    count = len(frame)
    report.rows_read += count
    report.rows_accepted += count
    check_point_count(report.rows_accepted, store)
    return make_series(
        key,
        frame[2].to_numpy(dtype=np.int64),
        frame[1].to_numpy(dtype=np.float64),
        report,
        run=run_name,
        wall_times=frame[0].to_numpy(dtype=np.float64) / 1000.0,
        lines=np.arange(1, count + 1, dtype=np.int64),
    )


def _read_metric(path: Path, key: str, run_name: str, report: Report, store: str):
    fast = _read_metric_fast(path, key, run_name, report, store)
    if fast is not None:
        return fast
    steps, values, walls, lines = array("q"), array("d"), array("d"), array("q")
    without_step = False
    reason = f"{run_name}/metrics/{key}: the line is not “<timestamp> <value> <step>”"
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            fields = raw.split()
            if not fields:
                continue
            report.rows_read += 1
            try:
                if len(fields) == 3:
                    step = int(fields[2])
                elif len(fields) == 2:
                    step, without_step = number - 1, True
                else:
                    raise ValueError
                wall = float(fields[0]) / 1000.0
                value = float(fields[1])
                steps.append(step)
            except (ValueError, OverflowError):  # OverflowError: a step beyond int64
                report.reject(reason, number)
                continue
            values.append(value)
            walls.append(wall)
            lines.append(number)
            report.rows_accepted += 1
            if report.rows_accepted % 100_000 == 0:
                check_point_count(report.rows_accepted, store)
    if without_step:
        report.warn(
            "Some metric files are in the MLflow 1.x layout, without steps; the position of "
            "each line (0, 1, 2, …) was used as its step."
        )
    if not steps:
        return None
    return make_series(
        key,
        np.frombuffer(steps, dtype=np.int64),
        np.frombuffer(values, dtype=np.float64),
        report,
        run=run_name,
        wall_times=np.frombuffer(walls, dtype=np.float64),
        lines=np.frombuffer(lines, dtype=np.int64),
    )
