"""Every shared sample is detected without being told and parses to what the file holds.

The expectations were read off the files by hand, not produced by the parser.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

import numpy as np
import pytest

from projects.importers import InputFile, detect_format, parse


def files(samples, *names: str) -> list[InputFile]:
    # An upload keeps only the file's own name, so give that, as the web form does.
    return [InputFile(path=samples / name, name=name.rsplit("/", 1)[-1]) for name in names]


def keys(result) -> dict[str, dict[str, int]]:
    return {run.name: {k: len(s.steps) for k, s in run.series.items()} for run in result.runs}


SAMPLE_FORMATS = [
    (["long.csv"], "long_csv"),
    (["keras_training_log.csv"], "wide_csv"),
    (["lightning_logs/version_0/metrics.csv"], "wide_csv"),
    (["lightning_logs/version_0/metrics.csv", "lightning_logs/version_0/hparams.yaml"], "wide_csv"),
    (["run-resnet-tag-val_loss.csv"], "tensorboard_csv"),
    (["run-resnet-tag-val_loss.json"], "tensorboard_json"),
    (["wandb_export_runs.csv"], "wandb_runs"),
    (["wandb_export_chart.csv"], "wandb_chart"),
    (["mlflow_runs.csv"], "mlflow_runs_csv"),
    (["mlruns.zip"], "mlflow_zip"),
    (["metrics.jsonl"], "jsonl"),
    (["trainer_state.json"], "hf_trainer_state"),
    (["optuna_trials.csv"], "optuna_trials"),
    (["sklearn_cv_results.csv"], "sklearn_cv_results"),
]


@pytest.mark.parametrize(("names", "expected"), SAMPLE_FORMATS)
def test_each_sample_is_detected_without_being_told(samples, names, expected):
    assert detect_format(files(samples, *names)) == expected
    result = parse(files(samples, *names))
    assert result.format == expected
    assert result.report.rows_rejected == 0
    json.dumps(result.report.as_dict())


def test_the_samples_folder_holds_no_file_the_tests_forget(samples):
    listed = {name for names, _ in SAMPLE_FORMATS for name in names}
    on_disk = {
        p.relative_to(samples).as_posix()
        for p in samples.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert on_disk == listed


def test_long_csv_gives_six_runs_with_loss_every_step_and_accuracy_every_fifth(samples):
    result = parse(files(samples, "long.csv"))
    names = [f"{g}-seed{s}" for g in ("baseline", "augment") for s in (1, 2, 3)]
    assert [run.name for run in result.runs] == names
    assert keys(result) == {name: {"train/loss": 50, "val/accuracy": 10} for name in names}
    assert result.points == 360
    assert result.report.rows_read == result.report.rows_accepted == 360
    first = result.runs[0]
    loss = first.series["train/loss"]
    assert loss.steps.dtype == np.int64 and loss.values.dtype == np.float64
    assert loss.steps.tolist() == list(range(50))
    assert loss.values[:3].tolist() == [2.29232, 2.16926, 2.01229]
    assert loss.wall_times[:2].tolist() == [1764000000.0, 1764000030.0]
    accuracy = first.series["val/accuracy"]
    assert accuracy.steps.tolist() == list(range(4, 50, 5))
    assert accuracy.values[0] == 0.31574
    assert result.runs[-1].series["val/accuracy"].values[-1] == 0.90141
    # No start time in the file: the first point's wall time stands in for it.
    assert first.started_at == datetime.fromtimestamp(1764000000, tz=UTC)


def test_keras_log_is_one_run_named_after_the_file_with_epochs_as_steps(samples):
    result = parse(files(samples, "keras_training_log.csv"))
    assert keys(result) == {
        "keras_training_log": {"accuracy": 12, "loss": 12, "val_accuracy": 12, "val_loss": 12}
    }
    assert result.points == 48
    series = result.runs[0].series
    assert series["accuracy"].steps.tolist() == list(range(12))
    assert series["accuracy"].values[0] == 0.1369
    assert series["val_loss"].values[-1] == 0.3865
    assert series["loss"].wall_times is None
    assert any("Windows line ends" in w for w in result.report.warnings)


LIGHTNING_TRAIN_STEPS = [16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240]


def test_lightning_metrics_keep_sparse_rows_apart_and_take_hparams_as_params(samples):
    result = parse(
        files(
            samples,
            "lightning_logs/version_0/metrics.csv",
            "lightning_logs/version_0/hparams.yaml",
        )
    )
    (run,) = result.runs
    assert run.name == "version_0"
    assert run.params == {
        "lr": "0.001",
        "batch_size": "64",
        "model.name": "resnet18",
        "model.dropout": "0.1",
    }
    assert {k: len(s.steps) for k, s in run.series.items()} == {
        "train_loss": 15,
        "val_loss": 5,
        "val_acc": 5,
    }
    assert "epoch" not in run.series
    assert run.series["train_loss"].steps.tolist() == LIGHTNING_TRAIN_STEPS
    assert run.series["val_loss"].steps.tolist() == [48, 96, 144, 192, 240]
    assert run.series["val_acc"].values.tolist() == [0.6, 0.67, 0.74, 0.81, 0.88]
    assert result.points == 25
    assert result.report.rows_read == 20
    assert result.report.warnings == []


def test_a_zip_of_the_lightning_folder_reads_the_same_run(samples, tmp_path):
    archive = tmp_path / "lightning_logs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("metrics.csv", "hparams.yaml"):
            zf.write(
                samples / "lightning_logs/version_0" / name, f"lightning_logs/version_0/{name}"
            )
    result = parse([InputFile(path=archive, name="lightning_logs.zip")])
    assert result.format == "wide_csv"
    (run,) = result.runs
    assert run.name == "version_0"
    assert run.params["model.name"] == "resnet18"
    assert result.points == 25


@pytest.mark.parametrize("name", ["run-resnet-tag-val_loss.csv", "run-resnet-tag-val_loss.json"])
def test_tensorboard_downloads_take_run_and_tag_from_the_file_name(samples, name):
    result = parse(files(samples, name))
    assert keys(result) == {"resnet": {"val_loss": 10}}
    series = result.runs[0].series["val_loss"]
    assert series.steps.tolist() == list(range(0, 1000, 100))
    assert series.values[0] == 0.916545860935018
    assert series.values[-1] == 0.1309415126476593
    assert series.wall_times[0] == 1764000000.123


def test_tensorboard_run_and_metric_can_be_named_on_upload(samples):
    upload = InputFile(
        path=samples / "run-resnet-tag-val_loss.csv",
        name="run-resnet-tag-val_loss.csv",
        run_name="resnet50-baseline",
        metric_name="val/loss",
    )
    assert keys(parse([upload])) == {"resnet50-baseline": {"val/loss": 10}}


def test_wandb_runs_table_splits_config_from_summary(samples):
    result = parse(files(samples, "wandb_export_runs.csv"))
    assert [run.name for run in result.runs] == ["run-0", "run-1", "run-2"]
    run = result.runs[1]
    assert run.external_id == "run-1"
    assert run.params == {"lr": "0.0003", "batch_size": "64", "model": "resnet18"}
    assert run.tags["baseline"] == ""
    assert run.tags["wandb.state"] == "finished"
    assert run.tags["wandb.user"] == "dana"
    assert "wandb.notes" not in run.tags  # "-" is W&B's empty note
    assert run.started_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert set(run.series) == {"val/accuracy", "train/loss"}
    accuracy = run.series["val/accuracy"]
    assert accuracy.steps.tolist() == [999] and accuracy.values.tolist() == [0.9]
    assert result.runs[2].series["train/loss"].values.tolist() == [0.25]
    assert result.points == 6


def test_wandb_chart_keeps_min_and_max_as_bounds_and_blanks_as_no_point(samples):
    result = parse(files(samples, "wandb_export_chart.csv"))
    assert keys(result) == {"run-0": {"train/loss": 10}, "run-1": {"train/loss": 9}}
    first = result.runs[0].series["train/loss"]
    assert first.steps.tolist() == list(range(0, 200, 20))
    assert first.values[:2].tolist() == [2.0, 1.4395]
    assert first.lower[:2].tolist() == [1.98, 1.4195]
    assert first.upper[:2].tolist() == [2.02, 1.4595]
    second = result.runs[1].series["train/loss"]
    assert 100 not in second.steps.tolist()
    assert second.lower.size == second.upper.size == 9
    assert result.points == 19


def test_mlflow_runs_csv_reads_runs_params_tags_and_final_metrics(samples):
    result = parse(files(samples, "mlflow_runs.csv"))
    assert [run.name for run in result.runs] == ["elasticnet-0", "elasticnet-1", "elasticnet-2"]
    run = result.runs[0]
    assert run.external_id == "15a0a8ae3b996870a1320b9d4de2f8ad"
    assert run.params == {"alpha": "0.5", "l1_ratio": "0.5"}
    assert run.tags["mlflow.source.git.commit"] == "3f2a9c1"
    assert run.tags["mlflow.runName"] == "elasticnet-0"
    assert run.started_at == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    assert {k: (s.steps.tolist(), s.values.tolist()) for k, s in run.series.items()} == {
        "rmse": ([0], [0.7]),
        "r2": ([0], [0.31]),
    }
    assert result.points == 6


def test_mlflow_store_zip_reads_histories_with_nested_keys(samples):
    result = parse(files(samples, "mlruns.zip"))
    assert keys(result) == {
        "elasticnet-0": {"eval/r2": 20, "rmse": 20},
        "elasticnet-1": {"eval/r2": 20, "rmse": 20},
    }
    run = result.runs[0]
    assert run.external_id == "98b81c66e10c167dc8b6eaffb74b589b"
    assert run.params == {"alpha": "0.5"}
    assert run.tags["mlflow.experiment"] == "wine-quality"
    assert run.started_at == datetime.fromtimestamp(1764000000, tz=UTC)
    rmse = run.series["rmse"]
    assert rmse.steps.tolist() == list(range(20))
    assert rmse.values[0] == 0.9965855749624046
    assert rmse.wall_times[1] == 1764000001.0
    assert result.points == 80
    assert result.report.rows_read == 80


def test_jsonl_reads_one_run_with_two_metrics(samples):
    result = parse(files(samples, "metrics.jsonl"))
    assert keys(result) == {"bert-finetune": {"loss": 10, "f1": 10}}
    loss = result.runs[0].series["loss"]
    assert loss.steps.tolist() == list(range(10))
    assert loss.values[-1] == 0.4321
    assert result.points == 20
