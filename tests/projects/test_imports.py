"""Experiment imports: upload, the job that processes them, and what lands in the database."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.db import DatabaseError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from projects import importers, imports, tasks
from projects.imports import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    Upload,
    UploadRefused,
    import_create,
    import_delete,
    import_process,
    import_requeue_stalled,
    import_retry,
)
from projects.models import ExperimentImport, ImportFile, MetricSeries, Run
from tests.factories import SAMPLES, create_project, import_results, sample

pytestmark = pytest.mark.django_db

# Every sample, with what it holds, counted by hand from the files:
# (files, detected format, runs, series, points)
SAMPLE_IMPORTS = [
    # 6 runs (baseline/augment × seed 1-3), each train/loss at 50 steps and val/accuracy at 10.
    (["long.csv"], "long_csv", 6, 12, 6 * (50 + 10)),
    # One run, 12 epochs × accuracy, loss, val_accuracy, val_loss.
    (["keras_training_log.csv"], "wide_csv", 1, 4, 12 * 4),
    # One run: train_loss on 15 rows, val_loss and val_acc on the 5 end-of-epoch rows.
    (
        ["lightning_logs/version_0/metrics.csv", "lightning_logs/version_0/hparams.yaml"],
        "wide_csv",
        1,
        3,
        15 + 5 + 5,
    ),
    # Run "resnet", tag val_loss, steps 0 to 900 by 100.
    (["run-resnet-tag-val_loss.csv"], "tensorboard_csv", 1, 1, 10),
    (["run-resnet-tag-val_loss.json"], "tensorboard_json", 1, 1, 10),
    # 3 runs, each with the final val/accuracy and train/loss: one point a series.
    (["wandb_export_runs.csv"], "wandb_runs", 3, 6, 6),
    # 2 runs of train/loss at 10 steps; run-1 has no point at step 100.
    (["wandb_export_chart.csv"], "wandb_chart", 2, 2, 10 + 9),
    # 3 runs, each with the final rmse and r2.
    (["mlflow_runs.csv"], "mlflow_runs_csv", 3, 6, 6),
    # 2 runs, each with rmse and eval/r2 at steps 0 to 19.
    (["mlruns.zip"], "mlflow_zip", 2, 4, 2 * 2 * 20),
    # One run, bert-finetune, with loss and f1 at steps 0 to 9.
    (["metrics.jsonl"], "jsonl", 1, 2, 2 * 10),
    # One run, bert-sst2: loss, learning_rate, grad_norm at 6 logging steps, 5 eval_* at 3
    # evaluation steps, 5 numbers of the final summary and best_metric, one point each.
    (["trainer_state.json"], "hf_trainer_state", 1, 3 + 5 + 5 + 1, 3 * 6 + 5 * 3 + 5 + 1),
    # 6 trials: value and duration for 4, duration only for the failed one, none while running.
    (["optuna_trials.csv"], "optuna_trials", 6, 4 * 2 + 1, 4 * 2 + 1),
    # 4 candidates, each with mean fit time, score time, test and train score.
    (["sklearn_cv_results.csv"], "sklearn_cv_results", 4, 16, 16),
]
SAMPLE_IDS = [files[0].rsplit("/", 1)[-1] for files, *_ in SAMPLE_IMPORTS]


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Fraud model")


def _upload(name: str, content: bytes, *, size: int | None = -1) -> Upload:
    return Upload(name=name, stream=io.BytesIO(content), size=len(content) if size == -1 else size)


def _rows(project) -> tuple[int, int]:
    return (
        Run.objects.filter(project=project).count(),
        MetricSeries.objects.filter(run__project=project).count(),
    )


def _assert_imported(imp: ExperimentImport, fmt: str, runs: int, series: int, points: int):
    assert imp.status == "succeeded", imp.message
    assert imp.message == ""
    assert imp.progress == 1.0
    assert imp.finished_at is not None
    assert imp.detected_format == fmt
    assert imp.importer_version == importers.IMPORTER_VERSION
    assert (imp.runs_count, imp.series_count, imp.points_count) == (runs, series, points)
    assert imp.runs.count() == runs
    stored = MetricSeries.objects.filter(run__experiment_import=imp)
    assert stored.count() == series
    assert sum(stored.values_list("count", flat=True)) == points
    assert imp.report["rows_rejected"] == 0


# --- Every sample imports ----------------------------------------------------------------------


def test_the_sample_table_covers_every_sample_file():
    on_disk = {
        str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".md"
    }

    assert on_disk == {name for files, *_ in SAMPLE_IMPORTS for name in files}


@pytest.mark.parametrize(
    ("files", "fmt", "runs", "series", "points"), SAMPLE_IMPORTS, ids=SAMPLE_IDS
)
def test_it_imports_each_sample_through_the_service(project, files, fmt, runs, series, points):
    imp = import_results(project, *[sample(name) for name in files])

    _assert_imported(imp, fmt, runs, series, points)
    assert imp.attempts == 1
    assert [f.original_name for f in imp.files.all()] == [name.rsplit("/")[-1] for name in files]


@pytest.mark.parametrize(
    ("files", "fmt", "runs", "series", "points"), SAMPLE_IMPORTS, ids=SAMPLE_IDS
)
def test_it_imports_each_sample_uploaded_on_the_project_page(
    alice_client, project, django_capture_on_commit_callbacks, files, fmt, runs, series, points
):
    handles = [sample(name).open("rb") for name in files]
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = alice_client.post(
                reverse("projects:import-upload", args=[project.slug]), {"files": handles}
            )
    finally:
        for handle in handles:
            handle.close()

    imp = project.imports.get()
    assert response.status_code == 302
    assert response["Location"] == imp.get_absolute_url()
    # One import, sent to the worker once it was committed (the others, run as it finished,
    # make the owner's cached public pages stale).
    assert len([c for c in callbacks if c.__module__.startswith("projects.")]) == 1  # one task sent
    imp.refresh_from_db()
    assert imp.uploaded_by.username == "alice"
    _assert_imported(imp, fmt, runs, series, points)


def test_it_keeps_the_params_of_the_yaml_beside_a_lightning_log(project):
    folder = "lightning_logs/version_0"
    imp = import_results(project, sample(f"{folder}/metrics.csv"), sample(f"{folder}/hparams.yaml"))

    run = imp.runs.get()
    assert run.params == {
        "lr": "0.001",
        "batch_size": "64",
        "model.name": "resnet18",
        "model.dropout": "0.1",
    }
    assert run.summary["val_acc"] == {"last": 0.88, "min": 0.6, "max": 0.88, "count": 5}


def test_a_folder_uploaded_on_the_page_keeps_the_version_name_and_its_hparams(
    alice_client, project, django_capture_on_commit_callbacks
):
    metrics = SimpleUploadedFile("metrics.csv", b"epoch,step,loss\n0,9,0.9\n1,19,0.7\n")
    hparams = SimpleUploadedFile("hparams.yaml", b"lr: 0.003\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("projects:import-upload", args=[project.slug]),
            {
                "files": [metrics, hparams],
                "paths": [
                    "lightning_logs/version_3/metrics.csv",
                    "lightning_logs/version_3/hparams.yaml",
                ],
            },
        )

    imp = project.imports.get()
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.status == "succeeded", imp.message
    assert imp.original_name.startswith("lightning_logs/version_3/metrics.csv")
    run = imp.runs.get()
    assert (run.name, run.params) == ("version_3", {"lr": "0.003"})


def test_a_path_that_does_not_end_with_its_files_name_is_not_used(
    alice_client, project, django_capture_on_commit_callbacks
):
    metrics = SimpleUploadedFile("metrics.csv", b"epoch,step,loss\n0,9,0.9\n1,19,0.7\n")
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            reverse("projects:import-upload", args=[project.slug]),
            {"files": [metrics], "paths": ["../../etc/version_9/passwd"]},
        )

    imp = project.imports.get()
    assert imp.original_name == "metrics.csv"
    assert imp.files.get().original_name == "metrics.csv"


# --- The same file twice -----------------------------------------------------------------------


def test_the_same_file_twice_gives_the_first_import(project):
    first = import_results(project, sample("metrics.jsonl"))
    content = sample("metrics.jsonl").read_bytes()

    again, created = import_create(
        project=project, user=project.owner, uploads=[_upload("renamed.jsonl", content)]
    )

    assert created is False
    assert again == first
    assert ExperimentImport.objects.count() == 1
    assert ImportFile.objects.count() == 1
    assert _rows(project) == (1, 2)


def test_the_same_file_in_another_project_is_a_new_import(alice, project):
    import_results(project, sample("metrics.jsonl"))
    other = create_project(owner=alice, title="Churn")

    imp = import_results(other, sample("metrics.jsonl"))

    assert imp.project == other
    assert imp.status == "succeeded"
    assert ExperimentImport.objects.count() == 2


def test_uploading_the_same_file_twice_says_so_on_the_first_imports_page(alice_client, project):
    first = import_results(project, sample("metrics.jsonl"))
    url = reverse("projects:import-upload", args=[project.slug])

    with sample("metrics.jsonl").open("rb") as handle:
        response = alice_client.post(url, {"files": handle}, follow=True)

    assert response.redirect_chain == [(first.get_absolute_url(), 302)]
    assert "“metrics.jsonl” was imported already; here is that import." in response.text
    assert project.imports.count() == 1


# --- All or nothing ----------------------------------------------------------------------------


def test_a_file_that_cannot_be_read_fails_with_a_message_and_leaves_no_rows(project):
    imp = import_results(project, ("notes.txt", b"Some notes about the run.\nNothing more.\n"))

    assert imp.status == "failed"
    assert imp.message.startswith("Cairn could not tell the format of “notes.txt”.")
    assert imp.finished_at is not None
    assert (imp.runs_count, imp.series_count, imp.points_count) == (0, 0, 0)
    assert _rows(project) == (0, 0)


def test_a_file_that_names_an_impossible_format_fails_and_leaves_no_rows(project):
    imp = import_results(project, sample("metrics.jsonl"), requested_format="mlflow_zip")

    assert imp.status == "failed"
    assert imp.message
    assert _rows(project) == (0, 0)


def test_a_parser_crash_fails_the_import_rather_than_leaving_it_running(project, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("a bug in a parser")

    monkeypatch.setattr(importers, "parse", crash)

    imp = import_results(project, sample("metrics.jsonl"))

    assert imp.status == "failed"
    assert imp.message == "Cairn could not read this file (RuntimeError)."
    assert _rows(project) == (0, 0)


def test_a_failure_while_saving_leaves_no_rows_and_fails_the_import(project, monkeypatch):
    made_runs = []

    def fail_after_runs(rows):
        made_runs.extend(Run.objects.filter(project=project))
        raise DatabaseError("disk I/O error")

    # The series insert (bulk_create, or COPY on PostgreSQL) comes after the runs are written.
    monkeypatch.setattr(imports.write, "_insert_series", fail_after_runs)

    imp = import_results(project, sample("long.csv"))

    assert len(made_runs) == 6  # the runs were written before the series failed
    assert imp.status == "failed"
    assert "could not save" in imp.message
    assert "nothing was imported" in imp.message
    assert imp.finished_at is not None
    assert (imp.runs_count, imp.series_count, imp.points_count) == (0, 0, 0)
    assert _rows(project) == (0, 0)


# --- Claiming the job --------------------------------------------------------------------------


def test_it_does_nothing_with_an_import_that_already_succeeded(project):
    imp = import_results(project, sample("metrics.jsonl"))
    before = ExperimentImport.objects.filter(pk=imp.pk).values().get()

    assert import_process(import_id=imp.pk, token="second-delivery") is None

    assert ExperimentImport.objects.filter(pk=imp.pk).values().get() == before
    assert _rows(project) == (1, 2)


def test_it_does_nothing_with_an_import_that_already_failed(project):
    imp = import_results(project, ("notes.txt", b"Not results.\n"))

    assert import_process(import_id=imp.pk, token="second-delivery") is None

    imp.refresh_from_db()
    assert (imp.status, imp.attempts) == ("failed", 1)


def test_a_second_worker_leaves_an_import_whose_worker_is_alive_alone(project):
    imp = import_results(project, sample("metrics.jsonl"), process=False)
    ExperimentImport.objects.filter(pk=imp.pk).update(
        status="running", claimed_by="worker-a", attempts=1, heartbeat_at=timezone.now()
    )

    assert import_process(import_id=imp.pk, token="worker-b") is None

    imp.refresh_from_db()
    assert (imp.status, imp.claimed_by, imp.attempts) == ("running", "worker-a", 1)
    assert _rows(project) == (0, 0)


def test_a_second_worker_takes_over_an_import_whose_worker_went_quiet(project):
    imp = import_results(project, sample("metrics.jsonl"), process=False)
    quiet_since = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    ExperimentImport.objects.filter(pk=imp.pk).update(
        status="running", claimed_by="worker-a", attempts=1, heartbeat_at=quiet_since
    )

    done = import_process(import_id=imp.pk, token="worker-b")

    assert done is not None
    imp.refresh_from_db()
    assert (imp.status, imp.claimed_by, imp.attempts) == ("succeeded", "worker-b", 2)
    assert _rows(project) == (1, 2)


def test_it_gives_up_after_the_last_attempt_with_a_reason(project):
    imp = import_results(project, sample("metrics.jsonl"), process=False)
    quiet_since = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    ExperimentImport.objects.filter(pk=imp.pk).update(
        status="running", claimed_by="worker-c", attempts=MAX_ATTEMPTS, heartbeat_at=quiet_since
    )

    import_process(import_id=imp.pk, token="worker-d")

    imp.refresh_from_db()
    assert imp.status == "failed"
    assert imp.message == f"Gave up after {MAX_ATTEMPTS} attempts: the worker stopped each time."
    assert imp.finished_at is not None
    assert _rows(project) == (0, 0)


# --- Retry and delete --------------------------------------------------------------------------


def test_a_failed_import_can_be_queued_again_and_then_succeed(
    project, monkeypatch, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as patch:
        patch.setattr(imports.write, "_insert_series", _raise(DatabaseError("database is locked")))
        imp = import_results(project, sample("metrics.jsonl"))
    assert imp.status == "failed"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = import_retry(experiment_import=imp)
        assert (queued.status, queued.attempts, queued.message) == ("queued", 0, "")

    assert len([c for c in callbacks if c.__module__.startswith("projects.")]) == 1  # one task sent
    imp.refresh_from_db()
    _assert_imported(imp, "jsonl", 1, 2, 20)
    assert imp.attempts == 1


def test_retrying_an_import_that_succeeded_queues_nothing(
    project, django_capture_on_commit_callbacks
):
    imp = import_results(project, sample("metrics.jsonl"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_retry(experiment_import=imp)

    assert callbacks == []
    imp.refresh_from_db()
    assert imp.status == "succeeded"


def test_deleting_an_import_removes_its_runs_series_and_stored_files(
    project, django_capture_on_commit_callbacks
):
    kept = import_results(project, sample("long.csv"))
    imp = import_results(project, sample("mlruns.zip"))
    files = list(imp.files.all())
    storage = files[0].file.storage
    assert all(storage.exists(f.file.name) for f in files)

    with django_capture_on_commit_callbacks(execute=True):
        import_delete(experiment_import=imp)

    assert not ExperimentImport.objects.filter(pk=imp.pk).exists()
    assert not ImportFile.objects.filter(experiment_import_id=imp.pk).exists()
    assert not Run.objects.filter(experiment_import_id=imp.pk).exists()
    assert not any(storage.exists(f.file.name) for f in files)
    # The other import of the project is untouched.
    assert _rows(project) == (6, 12)
    assert all(storage.exists(f.file.name) for f in kept.files.all())


def test_a_deleted_file_can_be_imported_again(project, django_capture_on_commit_callbacks):
    imp = import_results(project, sample("metrics.jsonl"))
    with django_capture_on_commit_callbacks(execute=True):
        import_delete(experiment_import=imp)

    again = import_results(project, sample("metrics.jsonl"))

    assert again.pk != imp.pk
    assert again.status == "succeeded"


# --- Refused uploads ---------------------------------------------------------------------------


@override_settings(CAIRN_MAX_UPLOAD_BYTES=1_000_000)
@pytest.mark.parametrize("size", [1_500_000, None], ids=["size-given", "size-unknown"])
def test_it_refuses_a_file_over_the_limit_and_creates_nothing(project, size):
    content = b"run,metric,step,value\n" + b"a,loss,1,0.5\n" * 120_000  # about 1.5 MB

    with pytest.raises(UploadRefused, match=r"big\.csv"):
        import_create(
            project=project, user=project.owner, uploads=[_upload("big.csv", content, size=size)]
        )

    assert not ExperimentImport.objects.exists()
    assert not ImportFile.objects.exists()


@override_settings(CAIRN_MAX_UPLOAD_BYTES=1_000_000)
def test_the_upload_form_refuses_a_file_over_the_limit_with_a_message(alice_client, project):
    content = b"run,metric,step,value\n" + b"a,loss,1,0.5\n" * 120_000
    upload = SimpleUploadedFile("big.csv", content)

    response = alice_client.post(
        reverse("projects:import-upload", args=[project.slug]), {"files": upload}, follow=True
    )

    assert response.redirect_chain == [(f"{project.get_absolute_url()}#results", 302)]
    assert "“big.csv” is larger than the limit of 1 MB." in response.text
    assert not ExperimentImport.objects.exists()
    assert not ImportFile.objects.exists()


def test_it_refuses_an_empty_file_and_no_file(project):
    with pytest.raises(UploadRefused, match="empty"):
        import_create(project=project, user=project.owner, uploads=[_upload("empty.csv", b"")])
    with pytest.raises(UploadRefused, match="at least one file"):
        import_create(project=project, user=project.owner, uploads=[])

    assert not ExperimentImport.objects.exists()


# --- When the broker is down -------------------------------------------------------------------


def _raise(exc: Exception):
    def raiser(*args, **kwargs):
        raise exc

    return raiser


@pytest.mark.parametrize(
    "error",
    [OperationalError("Error 111 connecting to redis"), ConnectionError("Connection refused")],
    ids=["kombu-operational-error", "connection-error"],
)
def test_an_upload_while_the_broker_is_down_waits_and_is_sent_later(
    alice_client, project, monkeypatch, django_capture_on_commit_callbacks, error
):
    with monkeypatch.context() as patch:
        patch.setattr(tasks.run_import, "apply_async", _raise(error))
        with django_capture_on_commit_callbacks(execute=True), sample("long.csv").open("rb") as f:
            response = alice_client.post(
                reverse("projects:import-upload", args=[project.slug]), {"files": f}
            )

    imp = project.imports.get()
    assert response.status_code == 302
    assert response["Location"] == imp.get_absolute_url()
    imp.refresh_from_db()
    assert (imp.status, imp.attempts) == ("queued", 0)

    # The broker is back; the import has waited longer than STALE_AFTER.
    ExperimentImport.objects.filter(pk=imp.pk).update(
        created_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
    )
    assert import_requeue_stalled() == 1

    imp.refresh_from_db()
    _assert_imported(imp, "long_csv", 6, 12, 360)


def test_it_does_not_send_again_an_import_that_waits_only_briefly(project, monkeypatch):
    import_results(project, sample("metrics.jsonl"), process=False)
    sent = []
    monkeypatch.setattr(tasks.run_import, "apply_async", lambda *a, **k: sent.append(a))

    assert import_requeue_stalled() == 0
    assert sent == []


def test_the_task_processes_an_import_by_its_id(project):
    imp = import_results(project, sample("metrics.jsonl"), process=False)

    tasks.run_import.apply(args=[imp.pk])

    imp.refresh_from_db()
    _assert_imported(imp, "jsonl", 1, 2, 20)


def test_the_upload_handler_stops_storing_a_file_once_it_is_over_the_limit(settings):
    from django.test import RequestFactory

    from projects.uploads import SizeLimitUploadHandler, upload_refusal

    settings.CAIRN_MAX_UPLOAD_BYTES = 1000
    request = RequestFactory().post("/")
    handler = SizeLimitUploadHandler(request)
    handler.new_file("files", "big.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 600, 600)
    assert upload_refusal(request) == "“big.csv” is larger than the limit of 0.001 MB."


# --- Imports that always end: retries from the page, stalled imports, long messages ------------


def test_uploading_the_same_bytes_after_a_failure_runs_the_import_again(
    alice_client, project, django_capture_on_commit_callbacks
):
    failed = import_results(project, sample("metrics.jsonl"), requested_format="long_csv")
    assert failed.status == "failed"
    url = reverse("projects:import-upload", args=[project.slug])

    with django_capture_on_commit_callbacks(execute=True), sample("metrics.jsonl").open("rb") as f:
        response = alice_client.post(url, {"files": f}, follow=True)

    assert response.redirect_chain == [(failed.get_absolute_url(), 302)]
    assert "imported already" not in response.text
    failed.refresh_from_db()
    _assert_imported(failed, "jsonl", 1, 2, 20)
    assert project.imports.count() == 1


def test_the_page_of_a_failed_import_offers_a_retry_that_imports_it(
    alice_client, project, monkeypatch, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as patch:
        patch.setattr(imports.write, "_insert_series", _raise(DatabaseError("database is locked")))
        imp = import_results(project, sample("metrics.jsonl"))
    page = alice_client.get(imp.get_absolute_url())
    retry = reverse("projects:import-retry", args=[project.slug, imp.pk])
    assert f'action="{retry}"' in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(retry, follow=True)

    assert "Queued again." in response.text
    imp.refresh_from_db()
    _assert_imported(imp, "jsonl", 1, 2, 20)


def test_a_stranded_import_shows_a_retry_and_the_retry_sends_it_again(
    alice_client, project, django_capture_on_commit_callbacks
):
    imp = import_results(project, sample("metrics.jsonl"), process=False)
    quiet_since = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    ExperimentImport.objects.filter(pk=imp.pk).update(
        status="running", claimed_by="dead-worker", attempts=1, heartbeat_at=quiet_since
    )
    page = alice_client.get(imp.get_absolute_url())
    assert "No worker has answered for a while" in page.text
    retry = reverse("projects:import-retry", args=[project.slug, imp.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(retry, follow=True)

    assert "Queued again." in response.text
    imp.refresh_from_db()
    _assert_imported(imp, "jsonl", 1, 2, 20)


def test_a_running_import_with_a_live_worker_offers_no_retry(alice_client, project):
    imp = import_results(project, sample("metrics.jsonl"), process=False)
    ExperimentImport.objects.filter(pk=imp.pk).update(
        status="running", claimed_by="live-worker", attempts=1, heartbeat_at=timezone.now()
    )

    page = alice_client.get(imp.get_absolute_url())
    response = alice_client.post(
        reverse("projects:import-retry", args=[project.slug, imp.pk]), follow=True
    )

    assert "No worker has answered" not in page.text
    assert "Only a failed or stalled import can be tried again." in response.text
    imp.refresh_from_db()
    assert (imp.status, imp.claimed_by) == ("running", "live-worker")


def test_the_sweep_task_sends_again_stalled_imports_and_leaves_live_ones(project, monkeypatch):
    waiting = import_results(project, ("a.jsonl", b'{"step": 1, "loss": 1.0}\n'), process=False)
    live = import_results(project, ("b.jsonl", b'{"step": 1, "loss": 2.0}\n'), process=False)
    long_ago = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    ExperimentImport.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    ExperimentImport.objects.filter(pk=live.pk).update(
        status="running", claimed_by="w", heartbeat_at=timezone.now(), created_at=long_ago
    )
    sent = []
    monkeypatch.setattr(tasks.run_import, "apply_async", lambda *a, **k: sent.append(k["args"]))

    assert tasks.requeue_stalled_imports() == 1
    # Marked as sent: the next sweep, moments later, does not pile up a second message.
    assert tasks.requeue_stalled_imports() == 0

    assert sent == [[waiting.pk]]


def test_the_sweep_runs_on_a_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stalled-imports"]

    assert entry["task"] == "projects.tasks.requeue_stalled_imports"
    assert entry["schedule"] == settings.CAIRN_IMPORT_SWEEP_SECONDS
    assert settings.CAIRN_IMPORT_SWEEP_SECONDS <= 30
    assert settings.CAIRN_IMPORT_STALE_SECONDS <= 30


def test_a_long_failure_message_is_kept_whole_and_shown_whole(alice_client, project):
    imp = import_results(project, sample("metrics.jsonl"), process=False)
    cause = "The column “loss” holds text in row 12. " + "x" * 1500 + " The end of the cause."
    ExperimentImport.objects.filter(pk=imp.pk).update(status="failed", message=cause)

    page = alice_client.get(imp.get_absolute_url())

    imp.refresh_from_db()
    assert imp.message == cause
    assert "The end of the cause." in page.text


def test_an_unknown_format_says_what_the_file_looks_like_before_the_list_of_formats(project):
    imp = import_results(project, ("notes.txt", b"Some notes about the run.\nNothing more.\n"))

    assert imp.status == "failed"
    looks = imp.message.index("This file looks like")
    assert looks < 120
    assert imp.message.index("Cairn reads:") > looks
