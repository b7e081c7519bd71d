"""Sync from a real `mlflow server`: runs written by the official client, pulled by the engine."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from mlsync import services
from mlsync.models import SyncedRun, SyncState, TrackerConnection
from mlsync.sources.server import ServerSource
from mlsync.sync import sync_connection_run
from projects.appends import run_points
from projects.models import MetricSeries, Run
from projects.provenance import live_provenance
from tests.factories import create_project
from tests.mlsync.mlflow_log import mlflow_log, steps


@pytest.fixture
def experiment() -> str:
    return f"exp-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def connect(alice, experiment):
    project = create_project(owner=alice, title="Vision")

    def make(server, **extra) -> TrackerConnection:
        fields = {"kind": "server", "server_url": server.url, "experiments": [experiment]}
        return services.connection_create(project=project, **{**fields, **extra})

    return make


def _sync(conn):
    return sync_connection_run(connection_id=conn.pk, trigger="test")


def _run(conn, mlflow_id) -> Run:
    return SyncedRun.objects.get(connection=conn, mlflow_run_id=mlflow_id).run


def test_a_first_sync_brings_every_run_with_params_tags_status_and_points(
    mlflow_server, connect, experiment
):
    ids = mlflow_log(
        mlflow_server,
        experiment,
        [
            {
                "op": "run", "as": "a", "name": "resnet-a", "params": {"lr": 0.1},
                "tags": {"team": "vision"}, "status": "FINISHED",
                "metrics": {"loss": steps(300), "acc": steps(300, scale=-1)},
            },
            {"op": "run", "as": "b", "name": "resnet-b", "metrics": {"loss": steps(20)}},
        ],
    )  # fmt: skip
    conn = connect(mlflow_server)

    sync = _sync(conn)

    assert (sync.state, sync.reason) == (SyncState.SUCCEEDED, "")
    assert (sync.runs_added, sync.runs_updated, sync.points_added) == (2, 0, 620)
    a, b = _run(conn, ids["a"]), _run(conn, ids["b"])
    assert (a.name, a.external_id, a.params, a.status) == (
        "resnet-a",
        ids["a"],
        {"lr": "0.1"},
        "FINISHED",
    )
    assert a.tags["team"] == "vision" and b.status == "RUNNING"
    loss = run_points(run_id=a.pk, key="loss")
    assert loss.steps.tolist() == list(range(300))
    assert np.allclose(loss.values, [1 / (s + 1) for s in range(300)])
    assert a.summary["acc"]["count"] == 300
    assert MetricSeries.objects.get(run=a, key="loss").count == 300  # folded, one row
    text = live_provenance(a.experiment_import)
    assert f"synced from {mlflow_server.url}, experiment “{experiment}”" in text
    assert f"MLflow run {ids['a']}" in text and "last synced" in text
    conn.refresh_from_db()
    assert conn.cursor is not None and conn.last_success_at and conn.consecutive_failures == 0


def test_an_incremental_sync_reads_only_new_points_and_new_runs(mlflow_server, connect, experiment):
    ids = mlflow_log(
        mlflow_server,
        experiment,
        [
            {"op": "run", "as": "done", "name": "done", "status": "FINISHED",
             "metrics": {"loss": steps(100)}},
            {"op": "run", "as": "live", "name": "live",
             "metrics": {"loss": steps(100), "acc": steps(100)}},
        ],
    )  # fmt: skip
    conn = connect(mlflow_server)
    _sync(conn)
    more = mlflow_log(
        mlflow_server,
        experiment,
        [
            {"op": "log", "run": ids["live"], "metrics": {"loss": steps(10, first=100)}},
            {"op": "end", "run": ids["live"], "status": "FAILED"},
            {"op": "run", "as": "new", "name": "new", "metrics": {"loss": steps(5)},
             "status": "FINISHED"},
        ],
    )  # fmt: skip
    asked = []
    original = ServerSource.call

    def spy(self, method, path, **kwargs):
        asked.append((path, kwargs.get("params")))
        return original(self, method, path, **kwargs)

    ServerSource.call = spy
    try:
        sync = _sync(conn)
    finally:
        ServerSource.call = original

    assert (sync.runs_added, sync.runs_updated, sync.runs_unchanged) == (1, 1, 1)
    assert sync.points_added == 15
    live = _run(conn, ids["live"])
    assert live.status == "FAILED"
    assert run_points(run_id=live.pk, key="loss").steps.tolist() == list(range(110))
    assert run_points(run_id=live.pk, key="acc").steps.tolist() == list(range(100))
    history = [
        (path, p["metric_key"], p.get("run_id") or tuple(p["run_ids"]), p.get("start_step"))
        for path, p in asked
        if "history" in path
    ]
    # Only the metric with new points, from the step Cairn had; and the new run's metric whole.
    assert sorted(history) == [
        ("metrics/get-history", "loss", more["new"], None),
        ("metrics/get-history-bulk-interval", "loss", (ids["live"],), 99),
    ]


def test_a_sync_with_nothing_new_writes_nothing_even_from_the_beginning(
    mlflow_server, connect, experiment
):
    ids = mlflow_log(
        mlflow_server,
        experiment,
        [
            {
                "op": "run",
                "as": "a",
                "name": "a",
                "metrics": {"loss": steps(50)},
                "status": "FINISHED",
            }
        ],
    )
    conn = connect(mlflow_server)
    _sync(conn)
    again = _sync(conn)
    assert (again.runs_added, again.runs_updated, again.points_added) == (0, 0, 0)
    assert again.runs_unchanged == 1 and again.history_requests == 0

    # Forget where the last sync stopped: everything is read again and still stored once.
    TrackerConnection.objects.filter(pk=conn.pk).update(cursor=None)
    SyncedRun.objects.filter(connection=conn).update(latest={}, fingerprint="")
    full = _sync(conn)
    assert (full.state, full.runs_added, full.points_added) == (SyncState.SUCCEEDED, 0, 0)
    run = _run(conn, ids["a"])
    assert Run.objects.filter(project=conn.project).count() == 1
    assert run_points(run_id=run.pk, key="loss").steps.tolist() == list(range(50))
    assert run.summary["loss"]["count"] == 50


def test_a_run_deleted_in_mlflow_is_marked_deleted_and_restored_when_restored(
    mlflow_server, connect, experiment
):
    ids = mlflow_log(
        mlflow_server,
        experiment,
        [
            {
                "op": "run",
                "as": "a",
                "name": "a",
                "metrics": {"loss": steps(5)},
                "status": "FINISHED",
            }
        ],
    )
    conn = connect(mlflow_server)
    _sync(conn)
    mlflow_log(mlflow_server, experiment, [{"op": "delete", "run": ids["a"]}])

    sync = _sync(conn)

    assert (sync.runs_deleted, sync.runs_updated) == (1, 0)
    synced = SyncedRun.objects.get(connection=conn, mlflow_run_id=ids["a"])
    assert synced.is_deleted and synced.deleted_at
    assert "deleted in MLflow" in live_provenance(synced.run.experiment_import)
    # Kept whole, but listed nowhere: every listing of runs starts from Run.objects.current().
    assert synced.run.deleted_at and not Run.objects.current().filter(pk=synced.run_id).exists()
    assert run_points(run_id=synced.run_id, key="loss").steps.tolist() == list(range(5))

    mlflow_log(mlflow_server, experiment, [{"op": "restore", "run": ids["a"]}])
    assert _sync(conn).runs_updated == 1
    synced.refresh_from_db()
    assert not synced.is_deleted and synced.deleted_at is None
    assert Run.objects.current().filter(pk=synced.run_id).exists()
    assert "deleted" not in live_provenance(synced.run.experiment_import)


def test_an_unknown_experiment_fails_the_sync_saying_which(mlflow_server, connect):
    conn = connect(mlflow_server, experiments=["no-such-experiment"])
    sync = _sync(conn)
    assert sync.state == SyncState.FAILED
    assert "has no experiment named or numbered “no-such-experiment”" in sync.reason


def test_the_basic_auth_server_is_read_with_the_password_and_refuses_a_wrong_one(
    mlflow_auth_server, connect, experiment
):
    mlflow_log(
        mlflow_auth_server,
        experiment,
        [
            {
                "op": "run",
                "as": "a",
                "name": "a",
                "metrics": {"loss": steps(3)},
                "status": "FINISHED",
            }
        ],
    )
    server = mlflow_auth_server
    right = connect(server, username=server.username, password=server.password)
    assert _sync(right).runs_added == 1

    wrong = connect(server, username=server.username, password="wrong-password")
    sync = _sync(wrong)
    assert sync.state == SyncState.FAILED
    assert "refused the credentials (401 Unauthorized)" in sync.reason
    none = connect(server)
    assert "(401 Unauthorized)" in _sync(none).reason
    assert not SyncedRun.objects.filter(connection__in=[wrong, none]).exists()


def test_a_server_stopped_mid_sync_leaves_whole_runs_and_the_next_sync_completes(
    mlflow_server, connect, experiment, monkeypatch
):
    ids = mlflow_log(
        mlflow_server,
        experiment,
        [
            {"op": "run", "as": f"r{i}", "name": f"r{i}", "metrics": {"loss": steps(20)},
             "status": "FINISHED"}
            for i in range(5)
        ],
    )  # fmt: skip
    conn = connect(mlflow_server)
    monkeypatch.setattr("mlsync.sync.CHUNK", 2)
    calls = []
    original = ServerSource.histories

    def stop_on_second_chunk(self, wanted):
        calls.append(len(wanted))
        if len(calls) == 2:
            mlflow_server.stop()
        return original(self, wanted)

    monkeypatch.setattr(ServerSource, "histories", stop_on_second_chunk)
    try:
        broken = _sync(conn)
    finally:
        mlflow_server.start()

    assert broken.state == SyncState.FAILED and "Cannot reach" in broken.reason
    written = Run.objects.filter(project=conn.project)
    assert written.count() == 2 == broken.runs_added
    assert all(
        run_points(run_id=r.pk, key="loss").steps.tolist() == list(range(20)) for r in written
    )
    conn.refresh_from_db()
    assert conn.cursor is None and conn.consecutive_failures == 1

    fixed = _sync(conn)
    assert (fixed.state, fixed.runs_added, fixed.points_added) == (SyncState.SUCCEEDED, 3, 60)
    assert sorted(written.values_list("external_id", flat=True)) == sorted(ids.values())
    assert all(r.summary["loss"]["count"] == 20 for r in written)


def test_two_syncs_of_one_connection_never_run_at_once(
    mlflow_server, connect, experiment, monkeypatch
):
    mlflow_log(
        mlflow_server,
        experiment,
        [
            {
                "op": "run",
                "as": "a",
                "name": "a",
                "metrics": {"loss": steps(5)},
                "status": "FINISHED",
            }
        ],
    )
    conn = connect(mlflow_server)
    second = []
    original = ServerSource.experiments

    def meanwhile(self, wanted):
        # While the first sync reads, a second one (the beat, the button) is asked for.
        try:
            sync_connection_run(connection_id=conn.pk, trigger="sync now")
        except Exception as exc:
            second.append(str(exc))
        return original(self, wanted)

    monkeypatch.setattr(ServerSource, "experiments", meanwhile)
    first = _sync(conn)
    assert first.state == SyncState.SUCCEEDED and first.runs_added == 1
    assert second == ["A sync of this connection is already running; this one did not start."]


def test_the_command_syncs_a_project_now_and_prints_its_report(
    mlflow_server, connect, experiment, capsys
):
    from django.core.management import call_command

    mlflow_log(
        mlflow_server,
        experiment,
        [
            {
                "op": "run",
                "as": "a",
                "name": "a",
                "metrics": {"loss": steps(7)},
                "status": "FINISHED",
            }
        ],
    )
    conn = connect(mlflow_server)
    spec = f"{conn.project.owner.username}/{conn.project.slug}"
    call_command("sync_trackers", "--project", spec)
    call_command("sync_trackers", "--project", spec)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{spec} from {mlflow_server.url}: 1 run added, 0 updated, 0 marked deleted, "
        "0 unchanged; 7 points added.",
        f"{spec} from {mlflow_server.url}: 0 runs added, 0 updated, 0 marked deleted, "
        "1 unchanged; 0 points added.",
    ]
