"""W&B and MLflow exports as engineers really save them, read right without being told the format.

Every file here is written to the shape the tracker writes (reduced column choices, hundreds of
columns, custom chart x-axes, search_runs with and without prefixes, the UI's download, zipped
stores); each guess must be in the report as a decision.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from projects.importers import ImportFailed, parse
from projects.importers.detect import classify_columns
from projects.models import Run
from tests.factories import create_project


def decision(result, subject_part: str):
    found = [d for d in result.report.decisions if subject_part in d.subject]
    assert found, [d.subject for d in result.report.decisions]
    return found[0]


def csv_text(header: list[str], rows: list[list]) -> str:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


# --- W&B runs tables -----------------------------------------------------------------------


def test_wandb_runs_with_a_reduced_column_choice_is_a_runs_table(upload):
    rng = np.random.default_rng(1)
    rows = [
        [f"sweep-{i}", [1e-3, 3e-4][i % 2], [32, 64][i % 2], f"{rng.uniform(0.7, 0.9):.4f}"]
        for i in range(12)
    ]
    text = csv_text(["Name", "lr", "batch_size", "val_accuracy"], rows)

    result = parse([upload("wandb_export_2026.csv", text)])

    assert result.format == "wandb_runs"
    assert len(result.runs) == 12
    run = result.runs[3]
    assert run.params == {"lr": "0.0003", "batch_size": "64"}
    assert list(run.series) == ["val_accuracy"]
    assert decision(result, "config and summary").certain
    assert result.report.roles["lr"][0] == "param"
    assert result.report.roles["val_accuracy"][0] == "metric"


def test_wandb_runs_with_an_epoch_column_but_no_state_is_not_one_wide_run(upload):
    rng = np.random.default_rng(2)
    rows = [
        [f"run-{i:03d}", 0.1 * (1 + i % 3), i % 5, 20, f"{rng.uniform(0.1, 2):.5f}"]
        for i in range(500)
    ]
    text = csv_text(["Name", "dropout", "seed", "epoch", "train/loss"], rows)

    result = parse([upload("runs.csv", text)])

    assert result.format == "wandb_runs"
    assert len(result.runs) == 500
    assert len({run.name for run in result.runs}) == 500
    assert result.points >= 500
    assert not any("repeated" in w for w in result.report.warnings)
    first = result.runs[0]
    assert first.params["dropout"] == "0.1" and first.params["seed"] == "0"
    assert "train/loss" in first.series


def test_a_300_column_wandb_table_splits_config_from_summary_by_values_not_names(upload):
    rng = np.random.default_rng(3)
    runs = 24
    config = [f"model.layer_{i}.units" for i in range(260)]
    # A config key named like a metric, followed by the settings that used to become metrics.
    config += ["loss_fn.reduction_accuracy_weight"]
    settings = ["seed", "learning_rate", "max_iterations", "warmup_steps", "weight_decay"]
    settings += [f"aug.{name}" for name in ("flip", "crop", "jitter", "blur", "scale")]
    settings += [f"opt.beta{i}" for i in range(7)]
    config += settings  # 17 settings after the metric-like name
    summary = [f"eval/metric_{i}" for i in range(8)] + ["train_loss", "_runtime", "_step"]
    header = ["Name", "State", "Created", *config, *summary]
    rows = []
    for r in range(runs):
        row = [f"exp-{r}", "finished", f"2026-03-{r + 1:02d}T10:00:00.000Z"]
        row += [str(64 * (1 + i % 4)) for i in range(260)]
        row += ["1"]
        row += [str(r % 3), ["0.001", "0.0003"][r % 2], "5000", "500", "0.01"]
        row += ["True", "random", "0.2", "none", "1.5"]
        row += [["0.9", "0.99"][r % 2]] * 7
        row += [f"{rng.uniform(0, 1):.6f}" for _ in range(9)] + ["3600", "4999"]
        rows.append(row)
    assert len(header) >= 290

    result = parse([upload("wandb_export.csv", csv_text(header, rows))])

    assert result.format == "wandb_runs"
    run = result.runs[5]
    assert set(settings) <= set(run.params)
    assert "loss_fn.reduction_accuracy_weight" in run.params
    assert set(run.series) == {f"eval/metric_{i}" for i in range(8)} | {"train_loss"}
    assert run.series["train_loss"].steps.tolist() == [4999]
    chosen = decision(result, "config and summary")
    assert chosen.certain
    assert "“eval/metric_0”" in chosen.why
    assert run.status == "FINISHED"
    assert run.started_at == datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


def test_wandb_state_is_the_run_status(upload):
    text = (
        "Name,State,Created,lr,acc\n"
        "a,running,2026-01-01T00:00:00Z,0.1,0.51234\n"
        "b,crashed,2026-01-02T00:00:00Z,0.1,0.61234\n"
        "c,failed,2026-01-03T00:00:00Z,0.2,0.71234\n"
        "d,finished,2026-01-04T00:00:00Z,0.2,0.81234\n"
    )
    result = parse([upload("runs.csv", text)])
    assert [r.status for r in result.runs] == ["RUNNING", "CRASHED", "FAILED", "FINISHED"]


# --- W&B chart exports ---------------------------------------------------------------------


@pytest.mark.parametrize("x_axis", ["epoch", "train/global_step"])
def test_a_wandb_chart_with_a_custom_x_axis_is_recognised(upload, x_axis):
    header = [x_axis]
    for run in ("bert-a", "bert-b"):
        header += [f"{run} - eval/f1", f"{run} - eval/f1__MIN", f"{run} - eval/f1__MAX"]
    rows = [[x * 10, 0.5 + x / 100, 0.49, 0.51, 0.4 + x / 100, 0.39, 0.41] for x in range(8)]

    result = parse([upload("wandb_chart.csv", csv_text(header, rows))])

    assert result.format == "wandb_chart"
    assert [r.name for r in result.runs] == ["bert-a", "bert-b"]
    series = result.runs[0].series["eval/f1"]
    assert series.steps.tolist() == list(range(0, 80, 10))
    assert series.lower.tolist() == [0.49] * 8
    assert decision(result, "step").choice == f"“{x_axis}”"


def test_a_chart_with_a_fractional_x_axis_uses_row_order_and_says_so(upload):
    text = "epoch,r - loss\n0.5,1.0\n1.0,0.8\n1.5,0.7\n"
    result = parse([upload("chart.csv", text)])
    assert result.runs[0].series["loss"].steps.tolist() == [0, 1, 2]
    assert "fractions" in decision(result, "step").why


def test_forcing_the_chart_format_on_a_file_that_does_not_fit_names_what_is_missing(upload):
    with pytest.raises(ImportFailed) as failed:
        parse([upload("keras.csv", "epoch,loss\n0,1.0\n1,0.5\n")], format="wandb_chart")
    assert "“<run> - <metric>”" in failed.value.message
    assert "Error" not in failed.value.message

    with pytest.raises(ImportFailed) as failed:
        parse([upload("only.csv", "a - b,c - d\n1,2\n")], format="wandb_chart")
    assert "x-axis" in failed.value.message


def test_a_missing_column_error_becomes_a_sentence_not_an_exception_name():
    from projects.importers.pipeline import _guarded

    def broken():
        return {}["c7"]

    with pytest.raises(ImportFailed) as failed:
        _guarded(broken)
    assert "KeyError" not in failed.value.message
    assert "column" in failed.value.message


# --- MLflow search_runs --------------------------------------------------------------------

SEARCH_HEAD = "run_id,experiment_id,status,artifact_uri,start_time,end_time"


def test_search_runs_with_prefixes_keeps_status(upload):
    text = (
        f"{SEARCH_HEAD},metrics.accuracy,params.lr,tags.mlflow.runName\n"
        "aa1,1,FINISHED,file:///a,2026-02-01 09:00:00+00:00,,0.91,0.1,first\n"
        "aa2,1,FAILED,file:///b,2026-02-02 09:00:00+00:00,,0.52,0.2,second\n"
        "aa3,1,RUNNING,file:///c,2026-02-03 09:00:00+00:00,,,0.3,third\n"
    )
    result = parse([upload("search.csv", text)])
    assert [(r.name, r.status) for r in result.runs] == [
        ("first", "FINISHED"),
        ("second", "FAILED"),
        ("third", "RUNNING"),
    ]
    assert result.runs[1].tags["mlflow.status"] == "FAILED"


def test_search_runs_with_prefixes_stripped_reads_metrics_and_params_from_values(upload):
    rng = np.random.default_rng(4)
    rows = []
    for i in range(10):
        acc, loss = rng.uniform(0.6, 0.95), rng.uniform(0.1, 1.0)
        fixed = [f"id{i}", 3, "FINISHED", f"file:///m/{i}", f"2026-02-{i + 1:02d} 09:00+00:00", ""]
        metrics = [f"{acc:.6f}", f"{loss:.6f}", "12.0"]  # as pandas writes floats
        params = [["0.01", "0.001"][i % 2], "12", "adam"]  # logged as strings
        rows.append([*fixed, *metrics, *params])
    header = [*SEARCH_HEAD.split(","), "accuracy", "loss", "epochs_done", "lr", "epochs", "optim"]

    result = parse([upload("runs.csv", csv_text(header, rows))])

    assert result.format == "mlflow_runs_csv"
    assert len(result.runs) == 10
    run = result.runs[1]
    assert run.params == {"lr": "0.001", "epochs": "12", "optim": "adam"}
    assert set(run.series) == {"accuracy", "loss", "epochs_done"}
    assert run.started_at == datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    assert decision(result, "metrics and params").certain


def test_a_split_nothing_settles_is_reported_uncertain(upload):
    # One run, two numbers with plain names and plain values: either could be a setting.
    result = parse([upload("runs.csv", "Name,foo,bar\nr,0.25,0.35\n")])
    assert result.format == "wandb_runs"
    assert not decision(result, "config and summary").certain


# --- MLflow UI download --------------------------------------------------------------------

UI_HEAD = '"Start Time","Duration","Run ID","Name","Source Type","Source Name","User","Status"'


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (
            ["04-08-2024 14:28", "13-08-2024 09:05", "05-08-2024 10:00"],
            datetime(2024, 8, 4, 14, 28),
        ),
        (
            ["2024-04-08 14:28:05", "2024-04-09 10:00:00", "2024-04-10 10:00:00"],
            datetime(2024, 4, 8, 14, 28, 5),
        ),
    ],
)
def test_mlflow_ui_download_keeps_start_times_params_and_same_named_metrics(
    upload, dates, expected
):
    header = UI_HEAD + ',"alpha","l1_ratio","seed","alpha","rmse","r2","mlflow.source.git.commit"'
    rows = []
    for i, when in enumerate(dates):
        rows.append(
            f'"{when}","1.2min","uuid-{i}","enet-{i}","LOCAL","train.py","dana","FINISHED",'
            f'"{[0.5, 0.1, 0.9][i]}","{[0.5, 0.9, 0.1][i]}","{i}","0.{81 + i}7312",'
            f'"0.7{i}4412","0.3{i}1298","abc123"'
        )
    text = header + "\n" + "\n".join(rows) + "\n"

    result = parse([upload("runs.csv", text)])

    assert result.format == "mlflow_runs_csv"
    run = result.runs[0]
    assert run.started_at == expected.replace(tzinfo=UTC)
    assert run.params == {"alpha": "0.5", "l1_ratio": "0.5", "seed": "0"}
    assert run.series["alpha"].values.tolist() == [0.817312]  # the metric of the same name
    assert set(run.series) == {"alpha", "rmse", "r2"}
    assert run.tags["mlflow.source.git.commit"] == "abc123"
    assert run.status == "FINISHED"
    assert decision(result, "dates in").certain
    assert decision(result, "params and metrics").certain


# --- MLflow zipped store ------------------------------------------------------------------


def test_a_zipped_mlflow_store_keeps_each_runs_status(upload):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mlruns/1/meta.yaml", "experiment_id: '1'\nname: e\n")
        for code, run in enumerate(["r1", "r2", "r3", "r4", "r5"], start=1):
            archive.writestr(
                f"mlruns/1/{run}/meta.yaml",
                f"run_id: {run}\nrun_name: {run}\nstatus: {code}\nstart_time: 1700000000000\n"
                "lifecycle_stage: active\n",
            )
            archive.writestr(f"mlruns/1/{run}/metrics/loss", "1700000000000 0.5 0\n")
            archive.writestr(f"mlruns/1/{run}/params/lr", "0.1")
    result = parse([upload("mlruns.zip", buffer.getvalue())])
    statuses = {r.name: r.status for r in result.runs}
    assert statuses == {
        "r1": "RUNNING",
        "r2": "SCHEDULED",
        "r3": "FINISHED",
        "r4": "FAILED",
        "r5": "KILLED",
    }


# --- detection from the header and the rows -------------------------------------------------


def test_detection_uses_the_rows_a_repeated_name_is_a_wide_file_distinct_names_a_runs_table():
    header = ["name", "epoch", "loss"]
    per_step = [["a", str(e), "0.5"] for e in range(10)]
    per_run = [[f"r{i}", "10", "0.5"] for i in range(10)]
    assert classify_columns(header, per_step) == "wide_csv"
    assert classify_columns(header, per_run) == "wandb_runs"
    assert classify_columns(["run_id", "status", "start_time", "accuracy"]) == "mlflow_runs_csv"
    assert classify_columns(["epoch", "a - loss", "b - loss"]) == "wandb_chart"


# --- through the command line, without --format ---------------------------------------------


@pytest.mark.django_db
def test_import_results_reads_tracker_exports_without_being_told(alice, upload, tmp_path):
    project = create_project(owner=alice, title="Trackers")
    wandb = upload(
        "wandb_export.csv",
        csv_text(
            ["Name", "lr", "epoch", "val/acc"],
            [[f"r{i}", [0.1, 0.01][i % 2], 10, f"0.{70 + i}31"] for i in range(6)],
        ),
    )
    ui = upload(
        "mlflow_ui.csv",
        UI_HEAD
        + ',"alpha","rmse"\n'
        + '"04-08-2024 14:28","1s","u1","a","LOCAL","t.py","d","FAILED","0.5","0.7123"\n'
        + '"13-08-2024 14:28","1s","u2","b","LOCAL","t.py","d","FINISHED","0.1","0.6123"\n',
    )
    out = StringIO()
    for file in (wandb, ui):
        call_command(
            "import_results", "--project", f"alice/{project.slug}", str(file.path), "--sync",
            stdout=out, stderr=StringIO(),
        )  # fmt: skip
    assert sorted(project.imports.values_list("status", flat=True)) == ["succeeded"] * 2
    runs = Run.objects.filter(project=project)
    assert runs.count() == 8
    failed = runs.get(name="a")
    assert failed.status == "FAILED"
    assert failed.params == {"alpha": "0.5"}
    assert failed.started_at == datetime(2024, 8, 4, 14, 28, tzinfo=UTC)
    assert runs.get(name="r1").params == {"lr": "0.01"}


def test_a_forced_wandb_runs_format_without_a_name_column_names_runs_by_a_distinct_column(upload):
    text = "model,lr,acc\nresnet,0.1,0.81234\nvit,0.01,0.91234\n"
    result = parse([upload("table.csv", text)], format="wandb_runs")
    assert [r.name for r in result.runs] == ["resnet", "vit"]
    assert "first text column" in decision(result, "run name").why
