"""An MLflow file store (an `mlruns` folder) on the workers' machine, read as a sync source.

The layout MLflow writes: `<experiment id>/meta.yaml`, then a folder per run with its own
`meta.yaml` (run_id, run_name, status as a number, start/end times, lifecycle_stage),
`params/<key>` and `tags/<key>` (the file holds the value; a key with "/" is a subfolder), and
`metrics/<key>` with a line per point, "<timestamp ms> <value> <step>". MLflow 1.x wrote no step;
as the importer does (projects/importers/mlflow_store.py), a line's position in its file is
then its step, so a curve does not fold into one point. Experiments deleted in MLflow are moved
to `.trash/`; their runs are reported as deleted, as are runs whose lifecycle_stage says so.

Nothing here writes. Incremental reads use the files' modification times: a run is reported
when it started after `since`, is still running, or any of its files changed since (the folder
of a trashed experiment changes when it is moved there). A file being written at that moment
can end in half a line; that line is left for the next sync.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from projects.importers.yamlfiles import load_yaml

from .base import Point, RemoteExperiment, RemoteRun, SourceError
from .picking import experiments_named
from .store_paths import FILES, store_path_check

# The numeric codes of a run's meta.yaml `status` (mlflow.entities.RunStatus).
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
UNFINISHED = {"RUNNING", "SCHEDULED"}
TRASH = ".trash"
VALUE_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class _Experiment:
    record: RemoteExperiment
    folder: Path
    changed_ms: int  # when the folder was last moved or changed (a move to .trash shows here)


def _mtime_ms(stat: os.stat_result) -> int:
    return max(stat.st_mtime_ns, stat.st_ctime_ns) // 1_000_000


def _cannot_read(path: Path | str, exc: OSError) -> SourceError:
    return SourceError(f"Cairn cannot read {path}: {exc.strerror or exc}.")


class FileStoreSource:
    """The runs of an `mlruns` folder (the MLflow file store)."""

    def __init__(self, path: str):
        self.label = str(path)
        self._path = str(path)
        self._experiments: dict[str, _Experiment] | None = None
        # One entry per metric file read whole, for the sync's report ("history reads").
        self.history_requests: list[str] = []

    # Experiments

    def experiments(self, wanted: Iterable[str]) -> list[RemoteExperiment]:
        """The experiments named by id or name (every active one when none is named)."""
        records = [e.record for e in self._scan().values()]
        return experiments_named(records, wanted, f"The MLflow store at {self.label}")

    def _root(self) -> Path:
        checked = store_path_check(self._path)
        if checked.kind != FILES:
            raise SourceError(f"{checked.path} is not an MLflow store folder.")
        return checked.path

    def _scan(self) -> dict[str, _Experiment]:
        root = self._root()
        found: dict[str, _Experiment] = {}
        for folder, deleted in [(root, False), (root / TRASH, True)]:
            for entry in _subfolders(folder):
                meta = _meta(Path(entry.path) / "meta.yaml")
                if meta is None or "run_id" in meta or "run_uuid" in meta:
                    continue
                experiment_id = str(meta.get("experiment_id", entry.name))
                stage = "deleted" if deleted else str(meta.get("lifecycle_stage") or "active")
                if experiment_id in found and not deleted:
                    continue  # a number used twice: the first folder wins
                record = RemoteExperiment(
                    experiment_id=experiment_id,
                    name=str(meta.get("name") or experiment_id),
                    lifecycle_stage=stage,
                )
                changed = _mtime_ms(entry.stat())
                found.setdefault(experiment_id, _Experiment(record, Path(entry.path), changed))
        self._experiments = found
        return found

    # Runs

    def runs(self, experiment_ids: list[str], since: int | None) -> Iterator[RemoteRun]:
        """Runs of these experiments that started, ran or changed a file since `since` (ms)."""
        found = self._scan()
        for experiment_id in experiment_ids:
            experiment = found.get(str(experiment_id))
            if experiment is None:
                raise SourceError(
                    f"The experiment {experiment_id} is no longer in the MLflow store at "
                    f"{self.label}."
                )
            runs = [r for r in self._experiment_runs(experiment, since) if r is not None]
            yield from sorted(runs, key=lambda r: (r.start_time or 0, r.run_id))

    def _experiment_runs(self, experiment: _Experiment, since: int | None):
        experiment_deleted = experiment.record.lifecycle_stage == "deleted"
        for entry in _subfolders(experiment.folder):
            folder = Path(entry.path)
            meta_path = folder / "meta.yaml"
            meta = _meta(meta_path)
            if meta is None or not (meta.get("run_id") or meta.get("run_uuid")):
                continue  # not a run (MLflow 3 keeps logged models and traces beside them)
            files = _run_files(folder)
            newest = max([_mtime_ms(os.stat(meta_path))] + [f.changed for f in files])
            status = _status(meta.get("status"))
            start = _millis(meta.get("start_time"))
            if since is not None and not (
                newest >= since
                or (start is not None and start >= since)
                or status in UNFINISHED
                or (experiment_deleted and experiment.changed_ms >= since)
            ):
                continue
            yield self._run(folder, meta, experiment, status, start, files)

    def _run(self, folder, meta, experiment, status, start, files) -> RemoteRun:
        run_id = str(meta.get("run_id") or meta.get("run_uuid"))
        params = {f.key: _value(f.path) for f in files if f.kind == "params"}
        tags = {f.key: _value(f.path) for f in files if f.kind == "tags"}
        metrics = [f for f in files if f.kind == "metrics"]
        deleted = experiment.record.lifecycle_stage == "deleted" or (
            str(meta.get("lifecycle_stage") or "active") == "deleted"
        )
        return RemoteRun(
            run_id=run_id,
            experiment_id=experiment.record.experiment_id,
            name=str(meta.get("run_name") or tags.get("mlflow.runName") or run_id),
            status=status,
            start_time=start,
            end_time=_millis(meta.get("end_time")),
            lifecycle_stage="deleted" if deleted else "active",
            params=params,
            tags=tags,
            last_metric_time=max((f.changed for f in metrics), default=None),
            metric_keys=tuple(sorted(f.key for f in metrics)),
            latest=_latest(metrics),
        )

    # Points

    def history(self, run: RemoteRun, keys: Iterable[str]) -> dict[str, list[Point]]:
        """Every point of these metrics of the run, read from its metrics/ files, in step order."""
        found = self._experiments or self._scan()
        experiment = found.get(run.experiment_id)
        folder = experiment.folder / run.run_id if experiment else None
        if folder is None or not folder.is_dir():
            raise SourceError(
                f"The run {run.run_id} is no longer in the MLflow store at {self.label}."
            )
        metrics = folder / "metrics"
        keys = list(keys)
        self.history_requests += [f"{run.run_id}/{key}" for key in keys]
        return {key: _points(metrics, key) for key in keys}


def _subfolders(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return sorted(
                (e for e in entries if not e.name.startswith(".") and e.is_dir()),
                key=lambda e: e.name,
            )
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _cannot_read(folder, exc) from None


def _meta(path: Path) -> dict | None:
    """A meta.yaml as a dict; None when absent or empty (MLflow may be writing it right now)."""
    try:
        meta = load_yaml(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    except ValueError as exc:
        raise SourceError(f"{path} is not a readable MLflow meta.yaml ({exc}).") from None
    return meta if isinstance(meta, dict) else None


@dataclass(frozen=True)
class _File:
    kind: str  # params, tags or metrics
    key: str  # with its "/" when nested
    path: Path
    changed: int  # ms


def _run_files(folder: Path) -> list[_File]:
    """Every value file of a run (params, tags, metrics), nested keys with their '/'."""
    out = []
    for kind in ("params", "tags", "metrics"):
        base = folder / kind
        for directory, subfolders, names in os.walk(base, onerror=_raise_walk):
            subfolders[:] = [s for s in subfolders if not s.startswith(".")]
            for name in names:
                path = Path(directory) / name
                key = path.relative_to(base).as_posix()
                try:
                    out.append(_File(kind, key, path, _mtime_ms(os.stat(path))))
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise _cannot_read(path, exc) from None
    return out


def _raise_walk(exc: OSError) -> None:
    if not isinstance(exc, FileNotFoundError):
        raise _cannot_read(exc.filename, exc) from None


def _value(path: Path) -> str:
    """A param or tag file's content: the value as logged (a final newline dropped)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(VALUE_MAX_BYTES + 1)
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    if len(raw) > VALUE_MAX_BYTES:
        raise SourceError(f"{path} is over {VALUE_MAX_BYTES // 1024} KB: not an MLflow value.")
    return raw.decode("utf-8", errors="replace").removesuffix("\n")


def _status(raw) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return RUN_STATUS.get(raw, "UNKNOWN")
    text = str(raw or "").strip()
    if text.isdigit():
        return RUN_STATUS.get(int(text), "UNKNOWN")
    return text.upper() or "UNKNOWN"


def _millis(raw) -> int | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


TAIL_BYTES = 4096


def _latest(metrics: list[_File]) -> dict[str, Point]:
    """Each metric's newest point, from the last line of its file (a read of its tail), so the
    engine asks only for the metrics that grew. Empty ({}: read them all) when a file's lines
    have no step (MLflow 1.x: a step is then the line's position, known only by reading all)."""
    out = {}
    for metric in metrics:
        try:
            with open(metric.path, "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - TAIL_BYTES))
                tail = handle.read(TAIL_BYTES)
        except OSError as exc:
            raise _cannot_read(metric.path, exc) from None
        lines = [line for line in tail.split(b"\n")[:-1] if line.strip()]
        if not lines:
            continue
        fields = lines[-1].split()
        try:
            if len(fields) != 3:
                return {}
            out[metric.key] = Point(metric.key, int(fields[2]), int(fields[0]), float(fields[1]))
        except ValueError:
            return {}  # history() reads the file whole and says what is wrong with it
    return out


def _points(metrics: Path, key: str) -> list[Point]:
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise SourceError(f"“{key}” is not a metric key MLflow would write.")
    path = metrics.joinpath(*parts)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    lines = raw.decode("utf-8", errors="replace").split("\n")
    lines.pop()  # after the last newline: empty, or half a line still being written
    points = []
    for number, line in enumerate(lines):
        fields = line.split()
        if not fields:
            continue
        try:
            if len(fields) not in (2, 3):
                raise ValueError
            step = int(fields[2]) if len(fields) == 3 else number
            points.append(Point(key, step, int(fields[0]), float(fields[1])))
        except ValueError:
            raise SourceError(
                f"{path}, line {number + 1}: “{line[:80]}” is not an MLflow metric line "
                "(timestamp, value, step)."
            ) from None
    points.sort(key=lambda p: (p.step, p.timestamp))
    return points
