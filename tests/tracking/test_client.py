"""Training code logs to Cairn through the official MLflow client, unchanged."""

from __future__ import annotations

import time

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from projects.models import ExperimentImport, MetricSeries, PendingPoints, Project, Run
from tracking.models import LiveRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_training_loop_lands_as_a_run_of_a_new_private_project(as_alice, alice):
    mlflow.set_experiment("Ticket router")
    with mlflow.start_run(run_name="baseline") as active:
        mlflow.log_params({"lr": "0.01", "epochs": "3"})
        for step in range(3):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": 0.5 + step / 10}, step=step)
        mlflow.set_tag("team", "nlp")

    project = Project.objects.get(owner=alice, title="Ticket router")
    assert project.visibility == "private"
    run = Run.objects.get(project=project)
    assert run.name == "baseline"
    assert run.params == {"lr": "0.01", "epochs": "3"}
    assert run.tags["team"] == "nlp"
    assert run.status == "FINISHED"
    assert run.summary["loss"]["last"] == pytest.approx(1 / 3)
    assert run.summary["acc"]["count"] == 3
    live = LiveRun.objects.get(run=run)
    assert live.uuid == active.info.run_id
    assert live.client.startswith("mlflow-python-client/")
    assert live.first_point_at and live.last_point_at
    assert run.experiment_import.detected_format == "mlflow-api"
    # The run ended: its points are folded into the columnar series.
    assert not PendingPoints.objects.filter(run=run).exists()
    loss = MetricSeries.objects.get(run=run, key="loss")
    assert list(loss.step_array()) == [0, 1, 2]


def test_the_client_reads_back_runs_and_histories(as_alice):
    client = MlflowClient()
    experiment_id = client.create_experiment("Reader")
    run = client.create_run(experiment_id, run_name="r1")
    run_id = run.info.run_id
    for step in range(5):
        client.log_metric(run_id, "loss", 5.0 - step, step=step, timestamp=1_000 + step)
    client.log_param(run_id, "seed", "7")

    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (s, 5.0 - s, 1_000 + s) for s in range(5)
    ]
    fetched = client.get_run(run_id)
    assert fetched.info.status == "RUNNING"
    assert fetched.data.params == {"seed": "7"}
    assert fetched.data.metrics == {"loss": 1.0}
    assert client.get_experiment_by_name("Reader").experiment_id == experiment_id
    assert client.get_experiment_by_name("No such thing") is None


def test_log_batch_takes_the_limits_and_refuses_more(as_alice):
    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("Limits")).info.run_id
    metrics = [Metric(f"m{i % 10}", float(i), 1_000 + i, i // 10) for i in range(1000)]
    client.log_batch(run_id, metrics=metrics)
    params = [Param(f"p{i}", str(i)) for i in range(100)]
    tags = [RunTag(f"t{i}", str(i)) for i in range(100)]
    client.log_batch(run_id, params=params, tags=tags)

    run = client.get_run(run_id)
    assert len(run.data.params) == 100
    assert {f"t{i}" for i in range(100)} <= set(run.data.tags)
    assert len(client.get_metric_history(run_id, "m3")) == 100

    # The client splits big batches itself; its store sends what it is given, as any client can.
    store = client._tracking_client.store
    with pytest.raises(MlflowException) as too_many:
        store.log_batch(run_id, metrics=metrics + metrics[:1], params=[], tags=[])
    assert too_many.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "at most 1000 metrics" in too_many.value.message
    with pytest.raises(MlflowException) as too_many_params:
        store.log_batch(run_id, metrics=[], params=[*params, Param("p100", "x")], tags=[])
    assert too_many_params.value.error_code == "INVALID_PARAMETER_VALUE"
    assert len(client.get_metric_history(run_id, "m3")) == 100


def test_a_retried_batch_is_stored_once(as_alice):
    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("Retries")).info.run_id
    batch = [Metric("loss", 1.0 / (s + 1), 5_000 + s, s) for s in range(50)]
    store = client._tracking_client.store
    store.log_batch(run_id, metrics=batch, params=[], tags=[])
    store.log_batch(run_id, metrics=batch, params=[], tags=[])  # the client's retry
    store.log_batch(run_id, metrics=batch[10:20], params=[], tags=[])  # a part, again

    assert len(client.get_metric_history(run_id, "loss")) == 50
    client.set_terminated(run_id)
    series = MetricSeries.objects.get(run__live__uuid=run_id, key="loss")
    assert series.count == 50
    # ... also after the fold, when the same points come once more.
    store.log_batch(run_id, metrics=batch, params=[], tags=[])
    assert len(client.get_metric_history(run_id, "loss")) == 50


def test_a_failed_run_shows_as_failed(as_alice):
    mlflow.set_experiment("Crashes")
    mlflow.start_run()
    mlflow.log_metric("loss", 3.0)
    mlflow.end_run(status="FAILED")
    run = Run.objects.get(project__title="Crashes")
    assert run.status == "FAILED"
    assert run.live.end_time is not None
    imp = ExperimentImport.objects.get(runs=run)
    assert imp.finished_at is not None


def test_search_runs_filters_and_orders(as_alice):
    experiment = mlflow.set_experiment("Sweep")
    for lr, acc in (("0.1", 0.7), ("0.01", 0.9), ("0.001", 0.8)):
        with mlflow.start_run(run_name=f"lr-{lr}"):
            mlflow.log_param("lr", lr)
            mlflow.log_metric("acc", acc)
    ids = [experiment.experiment_id]

    best = mlflow.search_runs(ids, order_by=["metrics.acc DESC"], output_format="list")
    assert [r.data.params["lr"] for r in best] == ["0.01", "0.001", "0.1"]
    good = mlflow.search_runs(ids, filter_string="metrics.acc > 0.75", output_format="list")
    assert {r.data.params["lr"] for r in good} == {"0.01", "0.001"}
    named = mlflow.search_runs(
        ids, filter_string="params.lr = '0.1' and attributes.status = 'FINISHED'"
    )
    assert list(named["params.lr"]) == ["0.1"]
    like = mlflow.search_runs(ids, filter_string="run_name LIKE 'lr-0.0%'", output_format="list")
    assert len(like) == 2
    with pytest.raises(MlflowException) as bad:
        mlflow.search_runs(ids, filter_string="metrics.acc >>> 1")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_deleted_run_leaves_the_search_and_comes_back(as_alice):
    client = MlflowClient()
    experiment_id = client.create_experiment("Deletes")
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)
    assert client.search_runs([experiment_id]) == []
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(MlflowException) as refused:
        client.log_metric(run_id, "x", 1.0)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    client.restore_run(run_id)
    assert len(client.search_runs([experiment_id])) == 1


def test_params_do_not_change_once_logged(as_alice):
    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("Params")).info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # the same value again is fine
    with pytest.raises(MlflowException) as changed:
        client.log_param(run_id, "lr", "0.2")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_tags_are_set_and_deleted(as_alice):
    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("Tags")).info.run_id
    client.set_tag(run_id, "stage", "dev")
    client.delete_tag(run_id, "stage")
    assert "stage" not in client.get_run(run_id).data.tags
    with pytest.raises(MlflowException) as missing:
        client.delete_tag(run_id, "stage")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_someone_elses_experiment_and_run_do_not_exist_for_a_token(as_alice, use_token, bob_token):
    client = MlflowClient()
    experiment_id = client.create_experiment("Alice's secret")
    run_id = client.create_run(experiment_id).info.run_id

    use_token(bob_token)
    client = MlflowClient()
    for call in (
        lambda: client.get_experiment(experiment_id),
        lambda: client.get_run(run_id),
        lambda: client.log_metric(run_id, "loss", 1.0),
        lambda: client.create_run(experiment_id),
        lambda: client.get_metric_history(run_id, "loss"),
        lambda: client.search_runs([experiment_id]),
    ):
        with pytest.raises(MlflowException) as hidden:
            call()
        assert hidden.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_experiment_by_name("Alice's secret") is None
    assert not Run.objects.filter(project__owner__username="bob").exists()


def test_a_wrong_token_is_refused(use_token):
    use_token("cairn_deadbeef_not-a-real-secret")
    with pytest.raises(MlflowException) as refused:
        MlflowClient().search_experiments()
    assert refused.value.error_code == "UNAUTHENTICATED"


def test_an_unsupported_call_says_so(as_alice):
    client = MlflowClient()
    with pytest.raises(MlflowException) as refused:
        client.create_registered_model("router")
    assert refused.value.error_code == "NOT_IMPLEMENTED"
    assert "model registry" in refused.value.message


def test_the_client_waits_out_the_rate_limit_and_goes_on(as_alice, settings):
    settings.CAIRN_LIMIT_MLFLOW = (3, 2)  # three calls per two seconds
    client = MlflowClient()
    started = time.monotonic()
    for _ in range(5):
        client.search_experiments()  # answered 429 with Retry-After, which the client honours
    assert time.monotonic() - started >= 1


def test_a_run_without_an_experiment_lands_in_the_default_project(as_alice, alice):
    with mlflow.start_run():
        mlflow.log_metric("loss", 0.5)
    project = Project.objects.get(owner=alice, title="Default")
    assert project.visibility == "private"
    assert Run.objects.filter(project=project).count() == 1
    assert MlflowClient().get_experiment("0").name == "Default"


def test_searches_and_histories_come_in_pages(as_alice):
    client = MlflowClient()
    experiment_id = client.create_experiment("Pages")
    ids = {client.create_run(experiment_id).info.run_id for _ in range(5)}
    first = client.search_runs([experiment_id], max_results=2)
    assert len(first) == 2 and first.token
    seen = {r.info.run_id for r in first}
    token = first.token
    while token:
        page = client.search_runs([experiment_id], max_results=2, page_token=token)
        seen |= {r.info.run_id for r in page}
        token = page.token
    assert seen == ids
    assert len(client.search_experiments(max_results=1)) == 1

    run_id = next(iter(ids))
    client.log_batch(run_id, metrics=[Metric("loss", float(s), 100 + s, s) for s in range(5)])
    store = client._tracking_client.store
    page = store.get_metric_history(run_id, "loss", max_results=3)
    assert [m.step for m in page] == [0, 1, 2]
    rest = store.get_metric_history(run_id, "loss", max_results=3, page_token=page.token)
    assert [m.step for m in rest] == [3, 4] and rest.token is None
