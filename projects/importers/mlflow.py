"""MLflow: the runs table as CSV, and a file store (mlruns/) uploaded as a zip.

Runs CSV comes in two shapes. `mlflow.search_runs(...).to_csv()` prefixes its columns
(`metrics.rmse`, `params.alpha`, `tags.mlflow.runName`), or not when the prefixes were
stripped; then metrics come before params and the split is found from the values. The MLflow
UI's download has `Start Time, Duration, Run ID, Name, Source Type, Source Name, User, Status`,
then params, metrics and tags under their bare names: params before metrics, split by
runs_table.find_split over the header and values (a numeric param stays a param). Both give only
the latest value of each metric, stored as a one-point series at step 0.

File store. Runs are folders with a meta.yaml holding a run id; their metrics/<key> files hold
"<timestamp_ms> <value> <step>" lines (keys may be nested folders: metrics/eval/r2 is "eval/r2").
Runs or experiments whose lifecycle_stage is "deleted", and anything under .trash, are skipped
and counted. MLflow 1.x lines have no step ("<timestamp_ms> <value>"); MLflow itself reads
them as step 0, which would fold a whole curve into one point, so Cairn uses the line's position
in the file (0, 1, 2, ...) as its step and says so.
"""

from __future__ import annotations

import io
import posixpath
from array import array
from functools import partial
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from . import runs_table
from .choices import Choices
from .data import RunData
from .dates import utc_from_timestamp
from .formats import ImportFailed
from .limits import Limits, check_point_count, check_series_count
from .progress import Progress, each_source
from .report import Report
from .safety import ZipMembers
from .series import make_series, series_in_groups
from .text import TextSource, dialect_notes, read_whole_table, sniff_csv
from .wording import plural, quoted
from .yamlfiles import YAML_MAX_BYTES, parse_yaml

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
# The numeric codes of a file store's meta.yaml `status` (mlflow.entities.RunStatus).
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


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
    columns = runs_table.profile(dialect.columns, table, dialect.decimal)
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


def _search_runs_spec(columns: list[runs_table.Column], report: Report) -> runs_table.Spec:
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
        split = runs_table.find_split(block, params_first=False)
        runs_table.decide_split(report, "metrics and params columns", split, block, False)
        for column in block[: split.at]:
            if column.numeric:
                spec.set(column, "metric", "before the params in search_runs' order")
            else:
                spec.set(column, "param", "text among the metrics, kept as a param")
        for column in block[split.at :]:
            spec.set(column, "param", "after the metrics in search_runs' order")
    return spec


def _ui_spec(columns: list[runs_table.Column], report: Report) -> runs_table.Spec:
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
    split = runs_table.find_split(block, params_first=True)
    runs_table.decide_split(report, "params and metrics columns", split, block, True)
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


# Metric files are parsed together, this many bytes of them per pandas call.
METRIC_BATCH_BYTES = 32 * 1024 * 1024


def parse_store(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read zipped MLflow file stores: experiments, runs, params, tags and metric histories."""
    out = []
    for number, store in enumerate(plan.stores):
        report.current_file = store.name if len(plan.stores) > 1 else ""
        part = progress.part(number / len(plan.stores), (number + 1) / len(plan.stores))
        with ZipMembers(store.path, store.name, store.infos, limits) as members:
            out.append(_parse_store(members, store.name, report, part))
    report.current_file = ""
    return out


def _parse_store(
    members: ZipMembers, name: str, report: Report, progress: Progress
) -> list[RunData]:
    experiments: dict[str, dict] = {}
    run_dirs: list[tuple[str, dict]] = []
    trashed_runs = trashed_experiments = 0
    for member in members.names:
        path = PurePosixPath(member)
        if path.name != "meta.yaml":
            continue
        in_trash = ".trash" in path.parts
        try:
            meta = parse_yaml(members.read(member, limit=YAML_MAX_BYTES + 1))
        except ValueError as exc:
            report.warn(f"“{member}” could not be read ({exc}); skipped.")
            continue
        if not isinstance(meta, dict):
            continue
        folder = posixpath.dirname(member)
        is_run = "run_uuid" in meta or "run_id" in meta
        if in_trash:
            trashed_runs += is_run
            trashed_experiments += not is_run and "experiment_id" in meta
        elif is_run:
            run_dirs.append((folder, meta))
        elif "experiment_id" in meta or "artifact_location" in meta:
            experiments[folder] = meta
    deleted_experiments = {
        path for path, meta in experiments.items() if meta.get("lifecycle_stage") == "deleted"
    }
    check_series_count(len(run_dirs), name)
    runs: list[RunData] = []
    metric_files: list[tuple[RunData, str, str]] = []
    deleted = trashed_runs
    for folder, meta in run_dirs:
        parent = posixpath.dirname(folder)
        if meta.get("lifecycle_stage") == "deleted" or parent in deleted_experiments:
            deleted += 1
            continue
        run = _read_run(members, folder, meta, experiments.get(parent, {}))
        runs.append(run)
        prefix = f"{folder}/metrics/" if folder else "metrics/"
        metric_files += [(run, m.removeprefix(prefix), m) for m in members.under(prefix[:-1])]
    progress(0.1)
    _read_metrics(members, metric_files, report, name, progress.part(0.1, 1.0))
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


def _read_run(members: ZipMembers, folder: str, meta: dict, experiment: dict) -> RunData:
    run_id = str(meta.get("run_id") or meta.get("run_uuid") or posixpath.basename(folder))
    run = RunData(name=run_id, external_id=run_id)
    run.params = _key_files(members, posixpath.join(folder, "params"))
    run.tags = _key_files(members, posixpath.join(folder, "tags"))
    if experiment.get("name") is not None:
        run.tags["mlflow.experiment"] = str(experiment["name"])
    run.name = str(meta.get("run_name") or run.tags.get("mlflow.runName") or run_id)
    status = meta.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        run.status = RUN_STATUS.get(status, "")
    elif isinstance(status, str) and status.strip():
        run.status = RUN_STATUS.get(int(status), "") if status.isdigit() else status.upper()
    start = meta.get("start_time")
    if isinstance(start, int | float) and not isinstance(start, bool):
        run.started_at = utc_from_timestamp(start / 1000)
    return run


def _key_files(members: ZipMembers, folder: str) -> dict[str, str]:
    """params/ or tags/: one file a key (nested folders make "a/b"), the content its value."""
    out = {}
    for member in members.under(folder):
        raw = members.read(member, limit=64 * 1024)
        key = member.removeprefix(f"{folder}/")
        out[key] = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    return out


def _read_metrics(
    members: ZipMembers,
    files: list[tuple[RunData, str, str]],
    report: Report,
    store: str,
    progress: Progress,
) -> None:
    """Every metric file of the store, in batches of METRIC_BATCH_BYTES, onto its run."""
    batch: list[tuple[RunData, str, str, bytes]] = []
    size = 0
    for number, (run, key, member) in enumerate(files, start=1):
        data = members.read(member)
        batch.append((run, key, member, data))
        size += len(data)
        if size >= METRIC_BATCH_BYTES or number == len(files):
            for (run, key, _, _), series in zip(
                batch, _metric_batch(batch, report, store), strict=True
            ):
                if series is not None:
                    run.series[key] = series
            batch, size = [], 0
            progress(number / len(files))


def _metric_batch(batch: list[tuple], report: Report, store: str) -> list:
    """The series of a batch of metric files: all well-formed ones in one pandas call.

    A well-formed file is "<ms> <value> <step>" on every line. When any file of the batch is
    not, each is read on its own, and the line-by-line reader says what is wrong where.
    """
    texts, counts = [], []
    for _, _, _, data in batch:
        if not data or data.startswith((b"\n", b"\r")) or b"\n\n" in data or b"\r\n\r\n" in data:
            break
        texts.append(data if data.endswith(b"\n") else data + b"\n")
        counts.append(texts[-1].count(b"\n"))
    else:
        frame = _metric_frame(b"".join(texts))
        if frame is not None and len(frame) == sum(counts):
            report.rows_read += len(frame)
            report.rows_accepted += len(frame)
            check_point_count(report.rows_accepted, store)
            starts = np.concatenate(([0], np.cumsum(counts[:-1]))).astype(np.int64)
            # Line numbers within each file, for the examples in warnings.
            lines = np.arange(len(frame), dtype=np.int64) - np.repeat(starts, counts) + 1
            return series_in_groups(
                [key for _, key, _, _ in batch],
                [run.name for run, _, _, _ in batch],
                starts,
                frame[2].to_numpy(dtype=np.int64),
                frame[1].to_numpy(dtype=np.float64),
                report,
                wall_times=frame[0].to_numpy(dtype=np.float64) / 1000.0,
                lines=lines,
            )
    return [_read_metric(data, key, run.name, report, store) for run, key, _, data in batch]


def _metric_frame(data: bytes) -> pd.DataFrame | None:
    """Metric lines as a three-column frame, or None when they are not all well-formed."""
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
    return frame if frame.shape[1] == 3 else None


def _read_metric(data: bytes, key: str, run_name: str, report: Report, store: str):
    """One metric file line by line, rejecting (with line numbers) the lines it cannot read."""
    steps, values, walls, lines = array("q"), array("d"), array("d"), array("q")
    without_step = False
    reason = f"{run_name}/metrics/{key}: the line is not “<timestamp> <value> <step>”"
    for number, raw in enumerate(io.BytesIO(data), start=1):
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
