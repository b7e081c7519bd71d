"""An MLflow SQLite store (`mlflow.db`, the SQLAlchemy store) on the workers' machine, read as
a sync source.

The file is opened read-only (`mode=ro`): Cairn never writes to it, and training code may be
writing at the same time, so a lock is waited for a few seconds and then reported. MLflow's
schema grew over versions (steps, is_nan, latest_metrics, deleted_time, workspaces), so each
table's columns are read first and only the ones present are asked for.

Values as MLflow's SQL store keeps them: a NaN is a row with is_nan set (its value column is 0);
an infinity is stored clamped to the largest double, which is read back here as the infinity
that was logged. Incremental reads: a run is reported when it started, ended or was deleted
after `since`, is still running, or has a point newer than `since` (latest_metrics).
"""

from __future__ import annotations

import math
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from urllib.parse import quote

from .base import Point, RemoteExperiment, RemoteRun, SourceError
from .picking import experiments_named
from .store_paths import SQLITE, store_path_check

LOCK_WAIT_SECONDS = 5
CHUNK = 500  # run ids per IN (...) query: well under SQLite's variable limit
UNFINISHED = ("RUNNING", "SCHEDULED")
REQUIRED = ("experiments", "runs", "metrics")
# The SQL below is built from table and column names of this module's own lists (chosen by what
# the file has) and "?" placeholders; every value the store or a user gave is a bound argument.


class SqliteStoreSource:
    """The runs of an `mlflow.db` file (MLflow's SQLAlchemy store on SQLite)."""

    def __init__(self, path: str):
        self.label = str(path)
        self._path = str(path)
        # One entry per history query, for the sync's report ("history reads").
        self.history_requests: list[str] = []

    def _connect(self) -> sqlite3.Connection:
        checked = store_path_check(self._path)
        if checked.kind != SQLITE:
            raise SourceError(f"{checked.path} is not an SQLite file such as mlflow.db.")
        uri = f"file:{quote(str(checked.path))}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT_SECONDS)
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        missing = [table for table in REQUIRED if table not in tables]
        if missing:
            db.close()
            raise SourceError(
                f"{checked.path} is an SQLite database but not an MLflow store (it has no "
                f"{', '.join(missing)} table)."
            )
        db.row_factory = sqlite3.Row
        return db

    def _error(self, exc: sqlite3.Error) -> SourceError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return SourceError(
                f"The MLflow database {self.label} stayed locked by another program for "
                f"{LOCK_WAIT_SECONDS} s; the next sync tries again."
            )
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return SourceError(f"{self.label} is damaged or not an SQLite database ({text}).")
        if "unable to open" in text or "readonly" in text or "permission" in text.lower():
            return SourceError(f"Cairn cannot open {self.label} for reading ({text}).")
        return SourceError(f"Reading the MLflow database {self.label} failed: {text}.")

    def _query(self, db: sqlite3.Connection, sql: str, args: Iterable = ()) -> list[sqlite3.Row]:
        try:
            return db.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def _columns(self, db: sqlite3.Connection, table: str) -> set[str]:
        return {row["name"] for row in self._query(db, f'PRAGMA table_info("{table}")')}

    def _tables(self, db: sqlite3.Connection) -> set[str]:
        return {row["name"] for row in self._query(db, "SELECT name FROM sqlite_master")}

    # Experiments

    def experiments(self, wanted: Iterable[str]) -> list[RemoteExperiment]:
        """The experiments named by id or name (every active one when none is named)."""
        with closing(self._connect()) as db:
            columns = self._columns(db, "experiments")
            stage = "lifecycle_stage" if "lifecycle_stage" in columns else "'active'"
            rows = self._query(
                db,
                f"SELECT experiment_id, name, {stage} AS stage FROM experiments "  # noqa: S608
                "ORDER BY experiment_id",
            )
        found = [
            RemoteExperiment(str(row["experiment_id"]), str(row["name"]), row["stage"] or "active")
            for row in rows
        ]
        return experiments_named(found, wanted, f"The MLflow database {self.label}")

    # Runs

    def runs(self, experiment_ids: list[str], since: int | None) -> Iterator[RemoteRun]:
        """Runs of these experiments that started, ended, were deleted or logged since `since`."""
        with closing(self._connect()) as db:
            rows = self._run_rows(db, [str(e) for e in experiment_ids], since)
            deleted = set()
            if "lifecycle_stage" in self._columns(db, "experiments"):
                sql = "SELECT experiment_id FROM experiments WHERE lifecycle_stage = 'deleted'"
                deleted = {str(row["experiment_id"]) for row in self._query(db, sql)}
            for start in range(0, len(rows), CHUNK):
                yield from self._complete(db, rows[start : start + CHUNK], deleted)

    def _run_rows(self, db, experiment_ids: list[str], since: int | None) -> list[sqlite3.Row]:
        if not experiment_ids:
            return []
        columns = self._columns(db, "runs")
        wanted = ("name", "status", "start_time", "end_time", "lifecycle_stage")
        select = ", ".join(
            ["run_uuid", "experiment_id"] + [c if c in columns else f"NULL AS {c}" for c in wanted]
        )
        marks = ", ".join("?" * len(experiment_ids))
        sql = f"SELECT {select} FROM runs WHERE experiment_id IN ({marks})"  # noqa: S608
        args: list = list(experiment_ids)
        if since is not None:
            changed = ["status IN ('RUNNING', 'SCHEDULED')", "start_time >= ?", "end_time >= ?"]
            args += [since, since]
            if "deleted_time" in columns:
                changed.append("deleted_time >= ?")
                args.append(since)
            elif "lifecycle_stage" in columns:
                changed.append("lifecycle_stage = 'deleted'")  # no time kept: always report
            points = "latest_metrics" if "latest_metrics" in self._tables(db) else "metrics"
            newer = f"run_uuid IN (SELECT run_uuid FROM {points} WHERE timestamp >= ?)"  # noqa: S608
            changed.append(newer)
            args.append(since)
            sql += f" AND ({' OR '.join(changed)})"
        return self._query(db, sql + " ORDER BY start_time, run_uuid", args)

    def _complete(self, db, rows: list[sqlite3.Row], deleted: set[str]) -> Iterator[RemoteRun]:
        """The runs of rows with their params, tags and newest points, a query each."""
        ids = [row["run_uuid"] for row in rows]
        marks = ", ".join("?" * len(ids))
        params: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
        tags: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
        tables = self._tables(db)
        for table, into in (("params", params), ("tags", tags)):
            if table not in tables:
                continue
            sql = f'SELECT run_uuid, "key", value FROM {table} WHERE run_uuid IN ({marks})'  # noqa: S608
            for row in self._query(db, sql, ids):
                into[row["run_uuid"]][row["key"]] = "" if row["value"] is None else row["value"]
        latest = self._latest(db, ids, marks, tables)
        for row in rows:
            run_id = row["run_uuid"]
            newest, keys, points = latest.get(run_id, (None, [], {}))
            stage = row["lifecycle_stage"] or "active"
            if str(row["experiment_id"]) in deleted:
                stage = "deleted"  # MLflow marks them too; older versions did not
            yield RemoteRun(
                run_id=run_id,
                experiment_id=str(row["experiment_id"]),
                name=row["name"] or tags[run_id].get("mlflow.runName") or run_id,
                status=(row["status"] or "UNKNOWN").upper(),
                start_time=_int(row["start_time"]),
                end_time=_int(row["end_time"]),
                lifecycle_stage=stage,
                params=params[run_id],
                tags=tags[run_id],
                last_metric_time=newest,
                metric_keys=tuple(sorted(keys)),
                latest=points,
            )

    def _latest(self, db, ids: list[str], marks: str, tables: set[str]) -> dict[str, tuple]:
        """{run id: (newest point time, metric keys, {key: newest point})} from MLflow's
        latest_metrics (the point of the highest step, then time); from metrics, without the
        newest points, when the store predates that table."""
        out: dict[str, tuple[int | None, list[str], dict[str, Point]]] = {}
        columns = self._columns(db, "latest_metrics") if "latest_metrics" in tables else set()
        if {"step", "is_nan"} <= columns:
            sql = (
                'SELECT run_uuid, "key", value, timestamp, step, is_nan FROM latest_metrics '  # noqa: S608
                f"WHERE run_uuid IN ({marks})"
            )
            for row in self._query(db, sql, ids):
                newest, keys, points = out.setdefault(row["run_uuid"], (None, [], {}))
                value = math.nan if row["is_nan"] else _unclamp(float(row["value"]))
                at = int(row["timestamp"] or 0)
                points[row["key"]] = Point(row["key"], int(row["step"]), at, value)
                keys.append(row["key"])
                out[row["run_uuid"]] = (max(newest or 0, at), keys, points)
            return out
        sql = (
            'SELECT run_uuid, "key", MAX(timestamp) AS newest FROM metrics '  # noqa: S608
            f'WHERE run_uuid IN ({marks}) GROUP BY run_uuid, "key"'
        )
        for row in self._query(db, sql, ids):
            newest, keys, points = out.setdefault(row["run_uuid"], (None, [], {}))
            keys.append(row["key"])
            if row["newest"] is not None:
                newest = max(newest or 0, int(row["newest"]))
            out[row["run_uuid"]] = (newest, keys, points)
        return out

    # Points

    def history(self, run: RemoteRun, keys: Iterable[str]) -> dict[str, list[Point]]:
        """Every point of these metrics of the run, in step order (one query)."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, list[Point]] = {key: [] for key in keys}
        if not keys:
            return out
        self.history_requests.append(run.run_id)
        with closing(self._connect()) as db:
            columns = self._columns(db, "metrics")
            step = "step" if "step" in columns else "NULL"
            is_nan = "is_nan" if "is_nan" in columns else "0"
            marks = ", ".join("?" * len(keys))
            rows = self._query(
                db,
                f'SELECT "key", value, timestamp, {step} AS step, {is_nan} AS is_nan '  # noqa: S608
                f'FROM metrics WHERE run_uuid = ? AND "key" IN ({marks}) '
                f'ORDER BY "key", {"step" if step == "step" else "rowid"}, timestamp',
                [run.run_id, *keys],
            )
        for row in rows:
            series = out[row["key"]]
            value = math.nan if row["is_nan"] else _unclamp(float(row["value"]))
            at = row["step"] if row["step"] is not None else len(series)
            series.append(Point(row["key"], int(at), int(row["timestamp"] or 0), value))
        return out


def _int(value) -> int | None:
    return None if value is None else int(value)


def _unclamp(value: float) -> float:
    """MLflow stores ±inf as ±the largest double; give back what was logged."""
    if abs(value) >= sys.float_info.max:
        return math.copysign(math.inf, value)
    return value
