"""The store sources read what the real MLflow client wrote: an `mlruns` folder and an
`mlflow.db` file, both made here by MLflow itself in its own virtual environment."""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from mlsync.sources.base import SourceError
from mlsync.sources.store_files import FileStoreSource
from mlsync.sources.store_paths import FILES, SQLITE, open_store, store_path_check
from mlsync.sources.store_sqlite import SqliteStoreSource
from tests.mlsync.stores import MORE, WRITE, write_store


@pytest.fixture(scope="module")
def written(mlflow_env, tmp_path_factory):
    """Both kinds of store, each after the first phase (ids) and a copy after the second."""
    base = tmp_path_factory.mktemp("stores")
    made = {}
    for kind, uri in (
        (FILES, f"file://{base}/mlruns"),
        (SQLITE, f"sqlite:///{base}/mlflow.db"),
    ):
        ids = write_store(uri, WRITE)
        target = base / ("mlruns" if kind == FILES else "mlflow.db")
        first = base / f"first-{target.name}"
        (shutil.copytree if kind == FILES else shutil.copy2)(target, first)
        more = write_store(uri, MORE, RUN_IDS=json.dumps(ids))
        made[kind] = {"ids": ids, "first": first, "now": target, **more}
    return made


@pytest.fixture(params=[FILES, SQLITE])
def store(request, written):
    return written[request.param]


def _runs(source, ids, since=None) -> dict:
    return {run.name: run for run in source.runs([ids["churn"]], since)}


def test_open_store_picks_the_source_for_a_folder_and_a_database(written):
    assert isinstance(open_store(str(written[FILES]["first"])), FileStoreSource)
    assert isinstance(open_store(f"sqlite:///{written[SQLITE]['first']}"), SqliteStoreSource)


def test_it_finds_experiments_by_name_or_id_and_names_the_unknown(store):
    source = open_store(str(store["first"]))
    ids = store["ids"]
    [by_name] = source.experiments(["churn"])
    assert by_name.experiment_id == ids["churn"] and by_name.lifecycle_stage == "active"
    assert source.experiments([ids["churn"]]) == [by_name]
    assert {e.name for e in source.experiments([])} == {"Default", "churn"}
    [old] = source.experiments(["old"])
    assert old.lifecycle_stage == "deleted"
    with pytest.raises(SourceError, match=r"no experiment “nope”.*churn"):
        source.experiments(["nope"])


def test_it_reads_runs_with_their_params_tags_and_status(store):
    source = open_store(str(store["first"]))
    runs = _runs(source, store["ids"])
    assert set(runs) == {"baseline", "crashed", "going", "gone"}
    baseline = runs["baseline"]
    assert baseline.run_id == store["ids"]["baseline"]
    assert baseline.experiment_id == store["ids"]["churn"]
    assert baseline.params == {"lr": "0.1", "layers": "3", "opt/beta": "0.9"}
    assert baseline.tags["team"] == "ml" and baseline.tags["stage/kind"] == "nightly"
    assert baseline.tags["mlflow.runName"] == "baseline"
    assert baseline.status == "FINISHED" and baseline.lifecycle_stage == "active"
    assert baseline.start_time <= baseline.end_time
    assert set(baseline.metric_keys) == {"loss", "eval/auc", "odd"}
    assert baseline.last_metric_time >= baseline.start_time
    newest = baseline.latest["loss"]  # what the engine compares to ask only for what grew
    assert (newest.step, newest.value) == (4, 0.2)
    assert set(baseline.latest) == set(baseline.metric_keys)
    assert runs["crashed"].status == "FAILED"
    assert runs["going"].status == "RUNNING" and runs["going"].end_time is None


def test_a_deleted_run_and_the_runs_of_a_deleted_experiment_say_so(store):
    source = open_store(str(store["first"]))
    runs = _runs(source, store["ids"])
    assert runs["gone"].lifecycle_stage == "deleted"
    assert runs["baseline"].lifecycle_stage == "active"
    [ancient] = source.runs([store["ids"]["old"]], None)
    assert ancient.name == "ancient" and ancient.lifecycle_stage == "deleted"
    assert [p.value for p in source.history(ancient, ["loss"])["loss"]] == [0.5]


def test_history_keeps_steps_nested_keys_nan_and_infinities(store):
    source = open_store(str(store["first"]))
    baseline = _runs(source, store["ids"])["baseline"]
    history = source.history(baseline, ["loss", "eval/auc", "odd"])
    assert [p.step for p in history["loss"]] == [0, 1, 2, 3, 4]
    assert [p.value for p in history["loss"]] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert [round(p.value, 6) for p in history["eval/auc"]] == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert all(p.key == "eval/auc" for p in history["eval/auc"])
    odd = history["odd"]
    assert math.isnan(odd[0].value) and odd[1].value == math.inf and odd[2].value == -math.inf
    assert all(p.timestamp >= baseline.start_time for p in history["loss"])
    assert source.history(baseline, ["never-logged"]) == {"never-logged": []}
    assert source.history_requests  # counted for the sync's report


def test_an_incremental_read_returns_only_what_changed_since(store):
    source = open_store(str(store["now"]))
    since = store["since"]
    changed = _runs(source, store["ids"], since=since)
    # New points on a finished run, a new run, a run still running, a run deleted since.
    assert set(changed) == {"baseline", "late", "going", "crashed"}
    assert changed["late"].run_id == store["late"]
    assert changed["crashed"].lifecycle_stage == "deleted"
    assert changed["going"].status == "FINISHED" and changed["going"].end_time >= since
    assert changed["baseline"].last_metric_time >= since
    assert changed["baseline"].latest["loss"].step == 5
    assert changed["baseline"].latest["eval/auc"].step == 4
    assert [p.step for p in source.history(changed["baseline"], ["loss"])["loss"]] == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]
    assert set(_runs(source, store["ids"])) == {"baseline", "crashed", "going", "gone", "late"}


def test_reading_changes_nothing_in_the_store(store, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in Path(store["first"]).parent.rglob("*")}
    source = open_store(str(store["first"]))
    for run in source.runs([store["ids"]["churn"]], None):
        source.history(run, run.metric_keys)
    after = {p: p.stat().st_mtime_ns for p in Path(store["first"]).parent.rglob("*")}
    assert after == before


# --- Files written by older MLflow versions, or being written ------------------------------------


def _file_store_copy(written, tmp_path) -> tuple[Path, dict]:
    copy = tmp_path / "mlruns"
    shutil.copytree(written[FILES]["first"], copy)
    ids = written[FILES]["ids"]
    return copy / ids["churn"] / ids["baseline"], ids


def test_metric_lines_without_a_step_take_their_position(written, tmp_path):
    run_folder, ids = _file_store_copy(written, tmp_path)
    loss = run_folder / "metrics" / "loss"
    lines = loss.read_text().splitlines()
    loss.write_text("".join(" ".join(line.split()[:2]) + "\n" for line in lines))  # MLflow 1.x
    source = FileStoreSource(str(tmp_path / "mlruns"))
    baseline = _runs(source, ids)["baseline"]
    assert [p.step for p in source.history(baseline, ["loss"])["loss"]] == [0, 1, 2, 3, 4]
    assert baseline.latest == {}  # positions are known only by reading whole files


def _with_loss_appended(written, tmp_path, text: str):
    run_folder, ids = _file_store_copy(written, tmp_path)
    with open(run_folder / "metrics" / "loss", "a") as handle:
        handle.write(text)
    source = FileStoreSource(str(tmp_path / "mlruns"))
    return source, _runs(source, ids)["baseline"]


def test_half_a_line_being_written_is_left_for_the_next_sync(written, tmp_path):
    source, baseline = _with_loss_appended(written, tmp_path, "1796513549999 0.1")
    assert len(source.history(baseline, ["loss"])["loss"]) == 5


def test_a_garbled_metric_file_fails_with_its_name_and_line(written, tmp_path):
    source, baseline = _with_loss_appended(written, tmp_path, "not a metric line at all\n")
    with pytest.raises(SourceError, match=r"metrics/loss, line 6: “not a metric line"):
        source.history(baseline, ["loss"])


def test_an_unreadable_meta_file_fails_with_its_name(written, tmp_path):
    run_folder, ids = _file_store_copy(written, tmp_path)
    (run_folder / "meta.yaml").unlink()
    (run_folder / "meta.yaml").mkdir()  # reading it fails whoever runs the tests
    with pytest.raises(SourceError, match=r"Cairn cannot read .*meta\.yaml"):
        list(FileStoreSource(str(tmp_path / "mlruns")).runs([ids["churn"]], None))


def test_a_metric_key_cannot_climb_out_of_its_run(written):
    source = FileStoreSource(str(written[FILES]["first"]))
    baseline = _runs(source, written[FILES]["ids"])["baseline"]
    with pytest.raises(SourceError, match="not a metric key"):
        source.history(baseline, ["../meta.yaml"])


# --- SQLite: locked, damaged, not MLflow ---------------------------------------------------------


def test_a_locked_database_fails_with_a_clear_reason(written, tmp_path, monkeypatch):
    copy = tmp_path / "mlflow.db"
    shutil.copy2(written[SQLITE]["first"], copy)
    monkeypatch.setattr("mlsync.sources.store_sqlite.LOCK_WAIT_SECONDS", 0.2)
    writer = sqlite3.connect(copy, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(SourceError, match="stayed locked by another program"):
            SqliteStoreSource(str(copy)).experiments(["churn"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert SqliteStoreSource(str(copy)).experiments(["churn"])


def test_a_damaged_database_fails_with_a_clear_reason(written, tmp_path):
    copy = tmp_path / "mlflow.db"
    raw = bytearray(written[SQLITE]["first"].read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the header survives, the schema page does not
    copy.write_bytes(bytes(raw))
    with pytest.raises(SourceError, match="damaged or not an SQLite database"):
        SqliteStoreSource(str(copy)).experiments(["churn"])


def test_an_sqlite_file_that_is_not_mlflow_is_refused(tmp_path):
    other = tmp_path / "app.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (body TEXT)").connection.commit()
    with pytest.raises(SourceError, match=r"not an MLflow store.*experiments, runs, metrics"):
        open_store(str(other)).experiments([])


# --- Paths: missing, wrong, and outside the allow-list ------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: str(d / "missing"), "There is no folder or file at"),
        (lambda d: "mlruns", "is not a full path"),
        (lambda d: "", "Give the path of an MLflow store"),
        (lambda d: str(d), "is not an MLflow store folder"),
        (lambda d: str(d / "notes.txt"), "neither an mlruns folder nor an SQLite database"),
    ],
)
def test_a_path_that_is_no_store_is_refused_with_a_reason(tmp_path, make, message):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match=message):
        store_path_check(make(tmp_path))


def test_a_folder_around_the_store_names_the_store_inside(written, tmp_path):
    shutil.copy2(written[SQLITE]["first"], tmp_path / "mlflow.db")
    with pytest.raises(SourceError, match=r"give the path of .*mlflow\.db itself"):
        store_path_check(str(tmp_path))


def test_production_refuses_every_store_when_no_root_is_set(written, settings):
    settings.IS_PRODUCTION, settings.CAIRN_SYNC_STORE_ROOTS = True, []
    with pytest.raises(SourceError, match="CAIRN_SYNC_STORE_ROOTS names no folder"):
        store_path_check(str(written[FILES]["first"]))


def test_production_reads_stores_inside_the_roots_only(written, settings, tmp_path):
    inside = Path(written[FILES]["first"]).parent
    settings.IS_PRODUCTION = True
    settings.CAIRN_SYNC_STORE_ROOTS = [str(tmp_path), str(inside)]
    assert store_path_check(str(written[FILES]["first"])).kind == FILES
    assert store_path_check(str(written[SQLITE]["first"])).kind == SQLITE
    settings.CAIRN_SYNC_STORE_ROOTS = [str(tmp_path)]
    with pytest.raises(SourceError, match="outside the folders MLflow stores may be read from"):
        store_path_check(str(written[FILES]["first"]))
    # The sources check again when they open the store, so a removed root stops the next sync.
    with pytest.raises(SourceError, match="outside the folders"):
        FileStoreSource(str(written[FILES]["first"])).experiments([])


def test_neither_dot_dot_nor_a_symlink_steps_out_of_a_root(written, settings, tmp_path):
    root = tmp_path / "allowed"
    root.mkdir()
    settings.IS_PRODUCTION, settings.CAIRN_SYNC_STORE_ROOTS = True, [str(root)]
    outside = Path(written[FILES]["first"])
    climb = f"{root}/{os.path.relpath(outside, root)}"
    assert ".." in climb
    with pytest.raises(SourceError, match="outside the folders"):
        store_path_check(climb)
    (root / "link").symlink_to(outside)
    with pytest.raises(SourceError, match="outside the folders"):
        store_path_check(str(root / "link"))
    # A symlink to a root's own folder is fine: the resolved path is inside.
    shutil.copytree(outside, root / "mlruns")
    (root / "alias").symlink_to(root / "mlruns")
    assert store_path_check(str(root / "alias")).path == (root / "mlruns").resolve()


def test_roots_set_locally_apply_there_too(written, settings, tmp_path):
    settings.IS_PRODUCTION, settings.CAIRN_SYNC_STORE_ROOTS = False, [str(tmp_path)]
    with pytest.raises(SourceError, match="outside the folders"):
        store_path_check(str(written[FILES]["first"]))
    settings.CAIRN_SYNC_STORE_ROOTS = []
    assert store_path_check(str(written[FILES]["first"])).kind == FILES


def test_an_older_schema_is_read_through_the_columns_it_has(written, tmp_path):
    """MLflow 1.x: no run name, no steps, no is_nan, no latest_metrics, no deleted_time."""
    old = tmp_path / "old.db"
    db = sqlite3.connect(old)
    db.execute("ATTACH DATABASE ? AS src", (str(written[SQLITE]["first"]),))
    db.executescript(
        """
        CREATE TABLE experiments AS SELECT experiment_id, name FROM src.experiments;
        CREATE TABLE runs AS SELECT run_uuid, status, start_time, end_time, lifecycle_stage,
            experiment_id FROM src.runs;
        CREATE TABLE metrics AS SELECT "key", value, timestamp, run_uuid FROM src.metrics
            WHERE is_nan = 0 ORDER BY timestamp;
        CREATE TABLE params AS SELECT * FROM src.params;
        CREATE TABLE tags AS SELECT * FROM src.tags;
        """
    )
    db.commit()
    db.close()
    ids = written[SQLITE]["ids"]
    source = SqliteStoreSource(str(old))
    assert [e.experiment_id for e in source.experiments(["churn"])] == [ids["churn"]]
    runs = _runs(source, ids)
    assert runs["baseline"].params["lr"] == "0.1"  # named by its mlflow.runName tag
    assert runs["gone"].lifecycle_stage == "deleted"
    assert [p.step for p in source.history(runs["baseline"], ["loss"])["loss"]] == [0, 1, 2, 3, 4]
    assert runs["baseline"].latest == {} and "loss" in runs["baseline"].metric_keys
    # Without deletion times a deleted run is reported each time, so none is missed.
    late = max(run.last_metric_time for run in runs.values()) + 1
    assert set(_runs(source, ids, since=late)) == {"going", "gone"}
