"""MLflow's runs table as CSV (the file store, mlruns/ zipped, is mlflow_store.py).

Runs CSV comes in two shapes. `mlflow.search_runs(...).to_csv()` prefixes its columns
(`metrics.rmse`, `params.alpha`, `tags.mlflow.runName`), or not when the prefixes were
stripped; then metrics come before params and the split is found from the values. The MLflow
UI's download has `Start Time, Duration, Run ID, Name, Source Type, Source Name, User, Status`,
then params, metrics and tags under their bare names: params before metrics, split by
column_split.find_split over the header and values (a numeric param stays a param). Both give only
the latest value of each metric, stored as a one-point series at step 0.
"""

from __future__ import annotations

from functools import partial

from ..wording import quoted
from . import column_split, runs_table
from .choices import Choices
from .data import RunData
from .dialect import dialect_notes, sniff_csv
from .limits import Limits
from .progress import Progress, each_source
from .report import Report
from .tables import read_whole_table
from .text import TextSource

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
PREFIXES = ("metrics.", "params.", "tags.")


def parse_runs_csv(plan, report: Report, limits: Limits, progress: Progress):
    """Read MLflow runs tables (search_runs CSV or the UI's download): one run a row."""
    read = partial(_parse_runs_file, limits=limits, choices=plan.choices)
    return each_source(plan, report, progress, read)


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
    lowered = [c.low for c in columns]
    if "run_id" in lowered or not ({"run id", "name"} & set(lowered)):
        spec = _search_runs_spec(columns, report)
    else:
        spec = _ui_spec(columns, report)
    runs = runs_table.read_runs(
        columns, spec, table.to_numpy(dtype=object), lines, report, choices, tracker="MLflow"
    )
    if spec.name_at is not None and columns[spec.name_at].low == "tags.mlflow.runname":
        for run in runs:
            if run.name != run.external_id:
                run.tags["mlflow.runName"] = run.name
    progress(1.0)
    return runs


def _search_runs_spec(columns: list[column_split.Column], report: Report) -> runs_table.Spec:
    """`mlflow.search_runs()` saved as CSV, with its metrics./params./tags. prefixes or without."""
    spec = runs_table.Spec(nameless="the run_id is missing")
    by_low = {}
    for column in columns:
        by_low.setdefault(column.low, column)
    prefixed = any(c.low.startswith(PREFIXES) for c in columns)
    name = by_low.get("tags.mlflow.runname") or by_low.get("mlflow.runname")
    name = name or by_low.get("run_name")
    ident = by_low.get("run_id") or by_low.get("run id")
    if ident is None:
        ident = next((c for c in columns if c.low in ("id", "name") and not c.numeric), None)
        if ident is not None:
            report.decide("run name", f"“{ident.name}”", "the table has no run_id column")
    if ident is not None:
        spec.id_at = ident.index
        spec.set(ident, "run", "MLflow's run id (the name when the run has none)")
    if name is not None:
        spec.name_at = name.index
        spec.set(name, "run", "MLflow's run name")
    block, unknown = [], []
    for index, column in enumerate(columns):
        low = column.low
        if column is ident or column is name:
            continue
        if index == 0 and not low:
            spec.set(column, "ignore", "the row numbers pandas writes without index=False")
        elif low == "start_time":
            spec.start_at = column.index
            spec.set(column, "time", "MLflow's start_time: the run's start")
        elif low == "status":
            spec.status_at = column.index
            spec.set(column, "tag", "MLflow's run status", "mlflow.status")
        elif low == "experiment_id":
            spec.set(column, "tag", "MLflow's experiment id", "mlflow.experiment_id")
        elif low == "lifecycle_stage":
            spec.deleted_at = column.index
            spec.set(column, "ignore", "MLflow's lifecycle stage: deleted runs are skipped")
        elif low in SEARCH_RUNS_KNOWN:
            spec.set(column, "ignore", f"MLflow's {column.name}")
        elif low.startswith("metrics."):
            spec.set(column, "metric", "an MLflow metric (metrics. prefix)", column.name[8:])
        elif low.startswith("params."):
            spec.set(column, "param", "an MLflow param (params. prefix)", column.name[7:])
        elif low.startswith("tags."):
            spec.set(column, "tag", "an MLflow tag (tags. prefix)", column.name[5:])
        elif low.startswith("mlflow."):
            spec.set(column, "tag", "an MLflow system tag (mlflow.*)")
        elif prefixed:
            unknown.append(column)
            spec.set(column, "ignore", "not an MLflow column")
        else:
            block.append(column)
    if unknown:
        report.warn(f"Unknown columns were ignored: {quoted(c.label for c in unknown)}.")
    if block:
        # search_runs writes metrics, then params, then tags: with the prefixes gone the
        # boundary comes from the values (params are logged as strings: 5, not 5.0).
        split = column_split.find_split(block, params_first=False)
        column_split.decide_split(report, "metrics and params columns", split, block, False)
        for column in block[: split.at]:
            if column.numeric:
                spec.set(column, "metric", "before the params in search_runs' order")
            else:
                spec.set(column, "param", "text among the metrics, kept as a param")
        for column in block[split.at :]:
            spec.set(column, "param", "after the metrics in search_runs' order")
    return spec


def _ui_spec(columns: list[column_split.Column], report: Report) -> runs_table.Spec:
    """The MLflow UI's download: fixed columns, then params, then metrics, then tags."""
    spec = runs_table.Spec(nameless="the run has neither a Run ID nor a Name")
    block = []
    fixed_seen = set()
    for column in columns:
        low = column.low
        if low in fixed_seen or low not in UI_FIXED:
            if low.startswith("mlflow."):
                spec.set(column, "tag", "an MLflow system tag (mlflow.*)")
            else:
                block.append(column)
            continue
        fixed_seen.add(low)
        if low == "run id":
            spec.id_at = column.index
            spec.set(column, "run", "MLflow's run id (the name when the run has none)")
        elif low == "name":
            spec.name_at = column.index
            spec.set(column, "run", "MLflow's run name")
        elif low == "start time":
            spec.start_at = column.index
            spec.set(column, "time", "the MLflow UI's Start Time: the run's start")
        else:
            if low == "status":
                spec.status_at = column.index
            spec.set(column, "tag", f"the MLflow UI's {column.name}", UI_TAGS[low])
    if not block:
        return spec
    split = column_split.find_split(block, params_first=True)
    column_split.decide_split(report, "params and metrics columns", split, block, True)
    last_metric = max(
        (i for i, c in enumerate(block) if i >= split.at and c.numeric), default=len(block)
    )
    for position, column in enumerate(block):
        if position < split.at:
            spec.set(column, "param", "before the metrics in the MLflow UI's order")
        elif column.numeric:
            spec.set(column, "metric", "among the metrics in the MLflow UI's order")
        elif position > last_metric:
            spec.set(column, "tag", "after the metrics: the MLflow UI writes tags last")
        else:
            spec.set(column, "param", "text among the metrics, kept as a param")
    return spec
