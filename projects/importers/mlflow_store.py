"""MLflow's file store (mlruns/), uploaded as a zip.

Runs are folders with a meta.yaml holding a run id; their metrics/<key> files hold
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
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from ..wording import agree, plural
from .data import RunData
from .dates import utc_from_timestamp
from .formats import ImportFailed
from .limits import Limits, check_point_count, check_series_count
from .progress import Progress
from .report import Report
from .safety import ZipMembers
from .series import make_series, series_in_groups
from .yamlfiles import YAML_MAX_BYTES, parse_yaml

# The numeric codes of a file store's meta.yaml `status` (mlflow.entities.RunStatus).
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


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
            f"{plural(deleted, 'deleted MLflow run')} {agree(deleted, 'was', 'were')} skipped."
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
