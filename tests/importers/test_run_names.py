"""Run names from the best source there is, companions that make files one run, restarts."""

from __future__ import annotations

import pytest

from projects.importers import ImportFailed, parse
from projects.importers.companions import group_uploads, kind_of

LIGHTNING = "epoch,step,train_loss,val_loss\n0,9,0.9,\n0,9,,0.8\n1,19,0.7,\n1,19,,0.6\n"
TB = "Wall time,Step,Value\n1700000000.0,0,0.9\n1700000010.0,1,0.8\n1700000020.0,2,0.7\n"


def _decisions(result, subject):
    return [d for d in result.report.as_dict()["decisions"] if d["subject"] == subject]


def test_five_lightning_version_folders_give_five_distinct_run_names(upload):
    files = [upload(f"lightning_logs/version_{n}/metrics.csv", LIGHTNING) for n in range(5)]

    result = parse(files)

    assert sorted(run.name for run in result.runs) == [f"version_{n}" for n in range(5)]
    assert all(len(run.series["train_loss"].steps) == 2 for run in result.runs)
    named = _decisions(result, "run name")
    assert {d["choice"] for d in named} == {f"version_{n}" for n in range(5)}
    assert all("Lightning's log folder" in d["why"] for d in named)


def test_a_version_folder_under_an_experiment_keeps_the_experiment_name(upload):
    result = parse([upload("my_exp/version_3/metrics.csv", LIGHTNING)])

    assert [run.name for run in result.runs] == ["my_exp/version_3"]


def test_one_at_a_time_each_version_still_has_its_own_name(upload):
    names = {
        parse([upload(f"exp/lightning_logs/version_{n}/metrics.csv", LIGHTNING)]).runs[0].name
        for n in range(5)
    }

    assert names == {f"version_{n}" for n in range(5)}
    assert "metrics" not in names


def test_the_same_version_of_two_projects_is_not_merged(upload):
    result = parse(
        [
            upload("a/lightning_logs/version_0/metrics.csv", LIGHTNING),
            upload("b/lightning_logs/version_0/metrics.csv", LIGHTNING),
        ]
    )

    assert sorted(run.name for run in result.runs) == [
        "a/lightning_logs/version_0",
        "b/lightning_logs/version_0",
    ]


def test_the_users_run_name_wins_over_the_folder(upload):
    result = parse([upload("lightning_logs/version_3/metrics.csv", LIGHTNING, run_name="baseline")])

    assert [run.name for run in result.runs] == ["baseline"]
    assert _decisions(result, "run name")[0]["why"] == "the run name given with the upload"


def test_a_run_column_names_the_runs_and_the_report_says_so(upload):
    result = parse([upload("sweep/metrics.csv", "run,step,loss\na,0,1\nb,0,2\n")])

    assert sorted(run.name for run in result.runs) == ["a", "b"]
    assert "column “run”" in _decisions(result, "run name")[0]["choice"]


def test_hparams_yaml_gives_params_to_the_metrics_of_its_folder(upload):
    result = parse(
        [
            upload("version_0/metrics.csv", LIGHTNING),
            upload("version_0/hparams.yaml", "lr: 0.001\nmodel:\n  name: resnet\n"),
            upload("version_1/metrics.csv", LIGHTNING),
            upload("version_1/hparams.yaml", "lr: 0.01\n"),
        ]
    )

    params = {run.name: run.params for run in result.runs}
    assert params == {
        "version_0": {"lr": "0.001", "model.name": "resnet"},
        "version_1": {"lr": "0.01"},
    }
    assert any("hparams.yaml" in d["choice"] for d in _decisions(result, "params"))


def test_lightning_meta_tags_csv_is_a_companion_giving_params(upload):
    result = parse(
        [
            upload("version_2/metrics.csv", LIGHTNING),
            upload("version_2/meta_tags.csv", "key,value\nlr,0.0003\nbatch_size,32\n"),
        ]
    )

    (run,) = result.runs
    assert run.name == "version_2"
    assert run.params == {"lr": "0.0003", "batch_size": "32"}
    assert set(run.series) == {"train_loss", "val_loss"}


def test_meta_tags_csv_alone_says_it_holds_only_hyperparameters(upload):
    with pytest.raises(ImportFailed, match="hyperparameters only"):
        parse([upload("meta_tags.csv", "key,value\nlr,0.1\n")])


def test_tensorboard_files_named_otherwise_give_the_metric_and_share_the_run(upload):
    result = parse([upload("resnet50/train_loss.csv", TB), upload("resnet50/val_accuracy.csv", TB)])

    (run,) = result.runs
    assert run.name == "resnet50"
    assert sorted(run.series) == ["train_loss", "val_accuracy"]
    assert "value" not in run.series
    assert {d["choice"] for d in _decisions(result, "metric name")} == {
        "train_loss",
        "val_accuracy",
    }


def test_two_loose_tensorboard_files_of_one_upload_are_one_run(upload):
    result = parse([upload("resnet_loss.csv", TB), upload("resnet_acc.csv", TB)])

    (run,) = result.runs
    assert run.name == "resnet"
    assert sorted(run.series) == ["resnet_acc", "resnet_loss"]


def test_two_tags_of_one_run_in_tensorboard_names_are_one_run(upload):
    result = parse([upload("run-bert-tag-loss.csv", TB), upload("run-bert-tag-f1.csv", TB)])

    (run,) = result.runs
    assert run.name == "bert" and sorted(run.series) == ["f1", "loss"]


def test_the_upload_names_win_for_a_tensorboard_file(upload):
    result = parse([upload("export.csv", TB, run_name="vit", metric_name="val/loss")])

    (run,) = result.runs
    assert run.name == "vit" and list(run.series) == ["val/loss"]


def _keras(trainings: int, epochs: int, *, repeat_header: bool) -> str:
    header = "epoch,accuracy,loss,val_accuracy,val_loss\n"
    text = header
    for training in range(trainings):
        if training and repeat_header:
            text += header
        for epoch in range(epochs):
            text += f"{epoch},{0.5 + epoch / 100},{1 - epoch / 100},{0.4 + training / 10},0.9\n"
    return text


@pytest.mark.parametrize("repeat_header", [True, False])
def test_keras_trainings_appended_to_one_file_keep_every_point(upload, repeat_header):
    result = parse([upload("training_log.csv", _keras(3, 10, repeat_header=repeat_header))])

    assert result.points == 120
    assert [run.name for run in result.runs] == [
        "training_log",
        "training_log · 2",
        "training_log · 3",
    ]
    assert all(len(run.series["loss"].steps) == 10 for run in result.runs)
    assert result.runs[2].series["val_accuracy"].values[0] == pytest.approx(0.6)
    report = result.report.as_dict()
    assert report["rows_rejected"] == 0
    (decision,) = _decisions(result, "runs in the file")
    assert decision["choice"].startswith("3 trainings")
    assert "starts again at 0" in decision["why"]


def test_steps_that_only_go_back_a_little_stay_one_run(upload):
    text = "epoch,loss\n0,1\n1,0.9\n2,0.8\n1,0.85\n2,0.75\n3,0.7\n"

    result = parse([upload("log.csv", text)])

    assert [run.name for run in result.runs] == ["log"]


def test_uploads_are_grouped_by_format_with_companions_beside_their_metrics():
    names = ["v0/metrics.csv", "v0/hparams.yaml", "notes.jsonl", "b.zip", "v1/metrics.csv"]
    kinds = [
        kind_of("metrics.csv", LIGHTNING.encode()),
        kind_of("hparams.yaml", b"lr: 1\n"),
        kind_of("notes.jsonl", b'{"step": 1, "loss": 2}\n'),
        kind_of("b.zip", b"PK\x03\x04rest"),
        kind_of("metrics.csv", LIGHTNING.encode()),
    ]

    assert kinds == ["wide_csv", "companion", "jsonl", "zip", "wide_csv"]
    assert group_uploads(names, kinds) == [[0, 1, 4], [2], [3]]
