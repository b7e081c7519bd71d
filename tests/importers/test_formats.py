"""The rules each format follows where real files differ from the samples."""

from __future__ import annotations

import codecs
import io
import math
import zipfile
from datetime import UTC, datetime

import pytest

from projects.importers import FORMATS, ImportFailed, InputFile, detect_format, parse


def zipped(upload, name: str, members: dict[str, str | bytes]) -> InputFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return upload(name, buffer.getvalue())


def warned(result, phrase: str) -> bool:
    return any(phrase in warning for warning in result.report.warnings)


# --- MLflow file store -------------------------------------------------------------------

EXPERIMENT = "experiment_id: '{id}'\nname: {name}\nlifecycle_stage: {stage}\n"
RUN = "run_id: {id}\nrun_uuid: {id}\nexperiment_id: '1'\nlifecycle_stage: {stage}\n{extra}"


def mlflow_store(upload, **extra_members) -> InputFile:
    members = {
        "mlruns/1/meta.yaml": EXPERIMENT.format(id=1, name="churn", stage="active"),
        "mlruns/1/live/meta.yaml": RUN.format(
            id="live", stage="active", extra="run_name: good-run\nstart_time: 1764000000000\n"
        ),
        "mlruns/1/live/metrics/loss": "1764000000000 0.5 0\n1764000001000 0.4 1\n",
        "mlruns/1/gone/meta.yaml": RUN.format(id="gone", stage="deleted", extra=""),
        "mlruns/1/gone/metrics/loss": "1764000000000 0.9 0\n",
        "mlruns/2/meta.yaml": EXPERIMENT.format(id=2, name="dropped", stage="deleted"),
        "mlruns/2/inside/meta.yaml": RUN.format(id="inside", stage="active", extra=""),
        "mlruns/.trash/3/meta.yaml": EXPERIMENT.format(id=3, name="binned", stage="deleted"),
        "mlruns/.trash/3/old/meta.yaml": RUN.format(id="old", stage="deleted", extra=""),
    }
    members.update(extra_members)
    return zipped(upload, "mlruns.zip", members)


def test_mlflow_store_skips_and_counts_deleted_runs_experiments_and_trash(upload):
    result = parse([mlflow_store(upload)])
    assert [run.name for run in result.runs] == ["good-run"]
    run = result.runs[0]
    assert run.tags["mlflow.experiment"] == "churn"
    assert run.started_at == datetime.fromtimestamp(1764000000, tz=UTC)
    assert run.series["loss"].values.tolist() == [0.5, 0.4]
    assert warned(result, "3 deleted MLflow runs were skipped")
    assert warned(result, "2 deleted MLflow experiments skipped")


def test_mlflow_1x_metric_lines_without_step_use_their_position(upload):
    old = {
        "mlruns/1/v1run/meta.yaml": "run_uuid: v1run\nlifecycle_stage: active\n",
        "mlruns/1/v1run/tags/mlflow.runName": "legacy",
        "mlruns/1/v1run/metrics/acc": "1500000000000 0.1\n1500000001000 0.2\n1500000002000 0.3\n",
        "mlruns/1/v1run/params/nested/depth": "3\n",
    }
    result = parse([mlflow_store(upload, **old)])
    legacy = next(run for run in result.runs if run.name == "legacy")
    assert legacy.external_id == "v1run"
    assert legacy.series["acc"].steps.tolist() == [0, 1, 2]
    assert legacy.params == {"nested/depth": "3"}
    assert warned(result, "MLflow 1.x layout")


def test_a_broken_mlflow_metric_line_is_rejected_with_its_file_and_line(upload):
    broken = {"mlruns/1/live/metrics/loss": "1764000000000 0.5 0\nnot a metric line\n"}
    result = parse([mlflow_store(upload, **broken)])
    (rejection,) = result.report.rejected
    assert rejection.reason.startswith("good-run/metrics/loss:")
    assert rejection.lines == [2]


# --- MLflow runs CSV ---------------------------------------------------------------------


def test_mlflow_ui_download_keeps_numeric_params_before_the_metrics_as_params(upload):
    text = (
        '"Start Time","Duration","Run ID","Name","Source Type","Source Name","User","Status",'
        '"optimizer","alpha","rmse","delta","mlflow.source.git.commit"\n'
        '"2022-12-01 12:00:00","1.0s","uuid-1","run-1","LOCAL","train.py","dana","FINISHED",'
        '"adam","0.5","0.81","\'-0.25","abc123"\n'
    )
    result = parse([upload("runs.csv", text)])
    assert result.format == "mlflow_runs_csv"
    (run,) = result.runs
    assert (run.name, run.external_id) == ("run-1", "uuid-1")
    assert run.started_at == datetime(2022, 12, 1, 12, 0, tzinfo=UTC)
    # The UI writes params, then metrics: "alpha" (a setting, before "rmse") stays a param.
    assert run.params == {"optimizer": "adam", "alpha": "0.5"}
    values = {k: s.values.tolist() for k, s in run.series.items()}
    assert values == {"rmse": [0.81], "delta": [-0.25]}
    assert run.tags["mlflow.source.git.commit"] == "abc123"
    assert run.tags["mlflow.user"] == "dana"


def test_mlflow_search_runs_with_the_pandas_index_and_no_run_name_uses_the_run_id(upload):
    text = ",run_id,status,metrics.loss,params.lr\n0,abc,FINISHED,0.5,0.1\n1,,FINISHED,0.4,0.2\n"
    result = parse([upload("runs.csv", text)])
    (run,) = result.runs
    assert run.name == "abc"
    assert run.params == {"lr": "0.1"}
    assert result.report.rejected[0].reason == "the run_id is missing"
    assert result.report.warnings == []


# --- W&B ---------------------------------------------------------------------------------


def test_wandb_runs_without_a_metric_looking_column_keep_everything_as_params(upload):
    text = "Name,State,Created,lr,epochs\nrun-a,finished,2026-03-01T10:00:00Z,0.1,5\n"
    result = parse([upload("wandb_export.csv", text)])
    (run,) = result.runs
    assert run.params == {"lr": "0.1", "epochs": "5"}
    assert run.series == {}
    assert warned(result, "No column looked like a metric")


def test_wandb_summary_after_the_first_metric_column_is_summary_whatever_its_name(upload):
    text = (
        "Name,State,Tags,lr,model,val/acc,epoch,best_note,_runtime\n"
        'r,finished,"a, b",0.1,cnn,0.9,12,looks good,100\n'
    )
    (run,) = parse([upload("wandb_export.csv", text)]).runs
    assert run.params == {"lr": "0.1", "model": "cnn", "best_note": "looks good"}
    assert {k: (s.steps.tolist(), s.values.tolist()) for k, s in run.series.items()} == {
        "val/acc": ([0], [0.9]),
        "epoch": ([0], [12.0]),
    }
    assert run.tags == {"a": "", "b": "", "wandb.state": "finished"}


def test_wandb_chart_ignores_columns_that_name_no_run(upload):
    text = "Step,run-a - loss,run-a - loss__MIN,comment\n0,1.0,0.9,x\n1,0.5,,y\n"
    result = parse([upload("chart.csv", text)])
    series = result.runs[0].series["loss"]
    assert series.lower[0] == 0.9 and math.isnan(series.lower[1])
    assert series.upper is None
    assert warned(result, "Unknown columns were ignored: “comment”")


# --- JSON Lines --------------------------------------------------------------------------


def test_jsonl_rejects_bad_lines_flattens_nesting_and_names_ignored_fields(upload):
    text = (
        '{"run": "a", "step": 0, "loss": 1.0, "eval": {"r2": 0.5}, "opt": "adam"}\n'
        "this is not json\n"
        '{"run": "a", "step": 1, "loss": null, "eval": {"r2": 0.6}}\n'
        '["a", "list"]\n'
        '{"run": "a", "epoch": 2, "loss": 0.5, "done": true}\n'
        '{"run": "a", "step": 3, "loss": 0.4'
    )
    result = parse([upload("log.jsonl", text)])
    (run,) = result.runs
    assert run.series["loss"].steps.tolist() == [0, 1, 2]
    assert math.isnan(run.series["loss"].values[1])
    assert run.series["eval/r2"].values.tolist() == [0.5, 0.6]
    reasons = {r.reason: r.lines for r in result.report.rejected}
    assert reasons == {
        "the line is not valid JSON": [2],
        "the line is not a JSON object": [4],
        "the last line is cut short or not valid JSON (file truncated?)": [6],
    }
    assert warned(result, "Fields that are not numbers were ignored: “opt”, “done”")


def test_jsonl_lines_without_a_run_belong_to_the_file(upload):
    result = parse([upload("seed-3.jsonl", '{"step": 0, "loss": 1}\n{"step": 1, "loss": 0.5}\n')])
    assert [run.name for run in result.runs] == ["seed-3"]
    named = parse([upload("x.jsonl", '{"step": 0, "loss": 1}\n', run_name="baseline")])
    assert [run.name for run in named.runs] == ["baseline"]


# --- TensorBoard -------------------------------------------------------------------------


def test_tensorboard_files_of_one_run_become_one_run_with_one_series_a_tag(upload):
    loss = upload("run-cnn-tag-loss.csv", "Wall time,Step,Value\n1.0,0,0.9\n2.0,1,0.8\n")
    acc = upload("run-cnn-tag-accuracy.csv", "Wall time,Step,Value\n1.0,0,0.1\n2.0,1,0.2\n")
    result = parse([loss, acc])
    (run,) = result.runs
    assert set(run.series) == {"loss", "accuracy"}


def test_tensorboard_file_without_the_usual_name_uses_its_stem_as_the_metric(upload):
    result = parse([upload("export.json", "[[1.0, 0, 0.5], [2.0, 1, NaN]]")])
    (run,) = result.runs
    assert run.name == "export" and list(run.series) == ["export"]
    assert warned(result, "1 value was missing or NaN")


def test_the_same_tag_in_two_files_keeps_the_last_file(upload):
    first = upload("a/run-cnn-tag-loss.csv", "Wall time,Step,Value\n1.0,0,0.9\n")
    second = upload("b/run-cnn-tag-loss.csv", "Wall time,Step,Value\n1.0,0,0.7\n")
    result = parse([first, second])
    (run,) = result.runs
    assert run.series["loss"].values.tolist() == [0.7]
    assert warned(result, "came in more than one file")


def test_tensorboard_csv_and_json_are_two_formats_and_go_in_two_imports(samples):
    names = ["run-resnet-tag-val_loss.csv", "run-resnet-tag-val_loss.json"]
    with pytest.raises(ImportFailed, match="different formats"):
        parse([InputFile(path=samples / n, name=n) for n in names])


# --- Wide CSV ----------------------------------------------------------------------------


def test_keras_na_is_no_point_while_nan_is_a_gap(upload):
    text = "epoch,loss,val_loss\r\n0,1.0,NA\r\n1,nan,0.5\r\n2,0.5,0.4\r\n"
    (run,) = parse([upload("log.csv", text)]).runs
    assert run.series["val_loss"].steps.tolist() == [1, 2]
    assert run.series["loss"].steps.tolist() == [0, 1, 2]
    assert math.isnan(run.series["loss"].values[1])


def test_wide_csv_text_and_empty_columns_are_ignored_with_a_warning(upload):
    text = "step,loss,phase,blank\n0,1.0,train,\n1,0.5,val,\n"
    result = parse([upload("log.csv", text)])
    assert list(result.runs[0].series) == ["loss"]
    assert warned(result, "Column “phase” holds text")
    assert warned(result, "Column “blank” is empty")


def test_a_wide_csv_with_a_run_column_gives_one_run_each(upload):
    text = "run,step,loss,acc\na,0,1.0,0.1\nb,0,2.0,\na,1,0.5,0.2\n,2,0.1,0.1\n"
    result = parse([upload("runs.csv", text)])
    assert result.format == "wide_csv"
    got = {r.name: {k: s.steps.tolist() for k, s in r.series.items()} for r in result.runs}
    assert got == {"a": {"loss": [0, 1], "acc": [0, 1]}, "b": {"loss": [0]}}
    assert result.report.rejected[0].reason == "the run is missing"


def test_hparams_with_python_tags_are_read_as_plain_values(upload):
    metrics = upload("metrics.csv", "epoch,step,loss\n0,1,0.5\n")
    hparams = upload(
        "hparams.yaml",
        "args: !!python/object:argparse.Namespace\n  lr: 0.1\nsizes: !!python/tuple [1, 2]\n",
    )
    (run,) = parse([metrics, hparams]).runs
    assert run.params == {"args.lr": "0.1", "sizes": "[1, 2]"}


def test_a_zip_of_several_lightning_versions_gives_one_run_each(upload, samples):
    metrics = (samples / "lightning_logs/version_0/metrics.csv").read_text()
    archive = zipped(
        upload,
        "logs.zip",
        {
            "lightning_logs/version_0/metrics.csv": metrics,
            "lightning_logs/version_0/hparams.yaml": "lr: 0.1\n",
            "lightning_logs/version_1/metrics.csv": metrics,
            "lightning_logs/version_1/hparams.yaml": "lr: 0.2\n",
            "lightning_logs/version_1/checkpoints/epoch=4.ckpt": b"\x80\x02binary",
            "__MACOSX/._metrics.csv": b"\x00\x05\x16\x07",
        },
    )
    result = parse([archive])
    assert [(run.name, run.params) for run in result.runs] == [
        ("version_0", {"lr": "0.1"}),
        ("version_1", {"lr": "0.2"}),
    ]
    assert warned(result, "Files Cairn does not read were skipped")


# --- Encodings and choices ---------------------------------------------------------------


def test_utf16_with_a_bom_is_converted(upload):
    text = "run,metric,step,value\nrün,loss,0,1\n"
    result = parse([upload("u16.csv", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))])
    assert [run.name for run in result.runs] == ["rün"]
    assert warned(result, "UTF-16")


def test_latin1_text_is_read_with_a_warning(upload):
    text = "run,metric,step,value\nrésumé,loss,0,1\n".encode("latin-1")
    result = parse([upload("latin.csv", text)])
    assert [run.name for run in result.runs] == ["résumé"]
    assert warned(result, "not valid UTF-8")


def test_a_format_can_be_named_instead_of_detected(samples, upload):
    keras = InputFile(path=samples / "keras_training_log.csv", name="keras_training_log.csv")
    assert parse([keras], format="wide_csv").format == "wide_csv"
    with pytest.raises(ImportFailed, match="is not a long CSV"):
        parse([keras], format="long_csv")
    with pytest.raises(ImportFailed, match="Unknown format"):
        parse([keras], format="excel")
    odd = upload("odd.csv", "Run Name,Key,Step,Val\na,loss,0,1\n")
    with pytest.raises(ImportFailed, match="it needs the columns run, metric, step and value"):
        parse([odd], format="long_csv")


def test_detect_format_reads_several_files_of_one_format(samples):
    names = ["lightning_logs/version_0/metrics.csv", "lightning_logs/version_0/hparams.yaml"]
    files = [InputFile(path=samples / n, name=n.rsplit("/", 1)[-1]) for n in names]
    assert detect_format(files) == "wide_csv"
    assert set(FORMATS) == {
        "long_csv",
        "wide_csv",
        "tensorboard_csv",
        "tensorboard_json",
        "wandb_runs",
        "wandb_chart",
        "mlflow_runs_csv",
        "mlflow_zip",
        "jsonl",
    }
