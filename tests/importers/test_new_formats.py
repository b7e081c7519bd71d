"""Hugging Face trainer_state.json, Optuna trials_dataframe() and scikit-learn cv_results_ CSVs.

Each is read without being told its format; the expected values are read off the files by hand.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

import numpy as np
import pytest

from projects.importers import Choices, ImportFailed, InputFile, detect_format, parse


def one(path, name=None, **extra) -> list[InputFile]:
    return [InputFile(path=path, name=name or path.name, **extra)]


def by_name(result) -> dict:
    return {run.name: run for run in result.runs}


def decision(result, subject: str) -> dict:
    found = [d for d in result.report.as_dict()["decisions"] if d["subject"] == subject]
    assert found, f"no decision about {subject}"
    return found[0]


# --- Hugging Face trainer_state.json -------------------------------------------------------


def trainer_state(history, **state) -> str:
    return json.dumps(
        {"global_step": 30, "max_steps": 30, "log_history": history, **state},
        indent=2,
        sort_keys=True,
    )


TRAIN_ONLY = [
    {"epoch": 0.33, "learning_rate": 4e-05, "loss": 1.25, "step": 10},
    {"epoch": 0.67, "learning_rate": 2e-05, "loss": 0.75, "step": 20},
    {"epoch": 1.0, "learning_rate": 0.0, "loss": 0.5, "step": 30},
]


def test_trainer_state_sample_keeps_training_and_eval_metrics_on_their_own_steps(samples):
    files = one(samples / "trainer_state.json")
    assert detect_format(files) == "hf_trainer_state"

    result = parse(files)

    assert result.format == "hf_trainer_state"
    (run,) = result.runs
    # best_model_checkpoint is ./bert-sst2/checkpoint-60: the output folder names the run.
    assert run.name == "bert-sst2"
    assert decision(result, "run name")["why"] == "the output folder of best_model_checkpoint"
    assert run.status == "FINISHED"
    assert run.series["loss"].steps.tolist() == [10, 20, 30, 40, 50, 60]
    assert run.series["loss"].values.tolist() == [0.6931, 0.5412, 0.4478, 0.3925, 0.3517, 0.3204]
    assert run.series["learning_rate"].values[-1] == 0.0
    # Evaluation every 20 steps: three points, no NaN padding at the logging steps between.
    assert run.series["eval_accuracy"].steps.tolist() == [20, 40, 60]
    assert run.series["eval_accuracy"].values.tolist() == [0.7925, 0.8425, 0.855]
    assert run.series["eval_loss"].values.tolist() == [0.4987, 0.3811, 0.3652]
    # The final summary: one point at its step.
    assert run.series["train_loss"].steps.tolist() == [60]
    assert run.series["train_loss"].values.tolist() == [0.4578]
    assert run.series["train_runtime"].values.tolist() == [95.4321]
    assert run.series["best_metric"].values.tolist() == [0.855]
    assert "epoch" not in run.series and "step" not in run.series
    assert run.params == {
        "max_steps": "60",
        "num_train_epochs": "3",
        "train_batch_size": "32",
        "logging_steps": "10",
        "eval_steps": "20",
        "save_steps": "20",
    }
    assert run.tags["hf.global_step"] == "60"
    assert run.tags["hf.best_model_checkpoint"] == "./bert-sst2/checkpoint-60"
    assert result.report.rows_read == result.report.rows_accepted == 10
    assert result.report.warnings == []
    roles = result.report.as_dict()["roles"]
    assert roles["step"][0] == "step" and roles["epoch"][0] == "ignore"
    assert roles["eval_loss"][0] == roles["train_loss"][0] == "metric"


def test_trainer_state_with_only_training_entries_is_a_checkpoint_run(upload):
    file = upload("trainer_state.json", trainer_state(TRAIN_ONLY, max_steps=90))

    result = parse([file])

    (run,) = result.runs
    assert result.format == "hf_trainer_state"
    assert set(run.series) == {"loss", "learning_rate"}
    assert run.series["loss"].steps.tolist() == [10, 20, 30]
    assert run.status == ""
    assert any("at step 30 of 90, before training ended" in w for w in result.report.warnings)
    # No folder, no checkpoint path: the file's stem is all there is.
    assert run.name == "trainer_state"


def test_trainer_state_written_on_one_line_is_not_taken_for_json_lines(upload):
    compact = json.dumps({"global_step": 30, "max_steps": 30, "log_history": TRAIN_ONLY})
    file = upload("state.json", compact + "\n")

    assert detect_format([file]) == "hf_trainer_state"
    assert parse([file]).runs[0].series["loss"].values.tolist() == [1.25, 0.75, 0.5]


def test_trainer_state_run_name_from_the_checkpoint_folder_in_a_zip(tmp_path):
    archive = tmp_path / "outputs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(
            "runs/roberta-lr3e5/checkpoint-30/trainer_state.json", trainer_state(TRAIN_ONLY)
        )

    result = parse(one(archive))

    assert [run.name for run in result.runs] == ["roberta-lr3e5"]
    assert decision(result, "run name")["why"] == "the output folder holding “checkpoint-30”"


def test_trainer_state_upload_run_name_wins_and_trial_params_are_params(upload):
    content = trainer_state(
        TRAIN_ONLY,
        best_model_checkpoint="out/checkpoint-20",
        trial_name="run-3",
        trial_params={"learning_rate": 3e-05, "seed": 7},
    )
    file = upload("trainer_state.json", content, run_name="sweep trial 3")

    (run,) = parse([file]).runs

    assert run.name == "sweep trial 3"
    assert run.params["learning_rate"] == "3e-05"
    assert run.params["seed"] == "7"
    assert run.tags["hf.trial_name"] == "run-3"


def test_trainer_state_gaps_text_values_and_role_choices(upload):
    history = [
        {"epoch": 0.5, "loss": float("nan"), "grad_norm": 1.5, "step": 10, "note": "warmup"},
        {"epoch": 1.0, "loss": 0.5, "grad_norm": 1.25, "step": 20},
        {"epoch": 1.0, "loss": 0.4, "step": "twenty"},
    ]
    file = upload("trainer_state.json", trainer_state(history))

    result = parse([file], choices=Choices(roles={"grad_norm": "ignore"}))

    (run,) = result.runs
    assert set(run.series) == {"loss"}
    assert np.isnan(run.series["loss"].values[0]) and run.series["loss"].values[1] == 0.5
    assert result.report.as_dict()["roles"]["grad_norm"] == ["ignore", "set by the user"]
    assert result.report.rejected[0].reason == "the log entry has no whole-number “step”"
    assert result.report.rejected[0].lines == [3]
    assert any("not numbers were skipped: “note”" in w for w in result.report.warnings)


def test_log_history_saved_on_its_own_reads_as_a_trainer_run(upload):
    history = [*TRAIN_ONLY, {"epoch": 1.0, "eval_loss": 0.6, "step": 30}]
    file = upload("bert_log_history.json", json.dumps(history, indent=2))

    assert detect_format([file]) == "hf_trainer_state"
    (run,) = parse([file]).runs

    assert run.name == "bert_log_history"
    assert run.series["loss"].steps.tolist() == [10, 20, 30]
    assert run.series["eval_loss"].values.tolist() == [0.6]


def test_trainer_state_cut_off_fails_with_where_and_why(upload):
    text = trainer_state(TRAIN_ONLY)
    file = upload("trainer_state.json", text[: len(text) // 2])

    with pytest.raises(ImportFailed) as failure:
        parse([file])

    message = failure.value.message
    assert message.startswith("“trainer_state.json” is not valid JSON (line ")
    assert "cut off while it was written" in message


def test_trainer_state_without_steps_or_history_fails_clearly(upload):
    no_steps = upload("a.json", trainer_state([{"epoch": 1.0, "loss": 0.5}]))
    with pytest.raises(ImportFailed, match="have no “step”"):
        parse([no_steps])
    not_history = upload("b.json", json.dumps({"global_step": 3, "log_history": {"loss": 1}}))
    with pytest.raises(ImportFailed, match="needs a “log_history” list"):
        parse([not_history], format="hf_trainer_state")


def test_a_json_document_that_is_no_trainer_state_is_still_refused(upload):
    other = upload("config.json", json.dumps({"model": "bert", "layers": 12}, indent=2))
    with pytest.raises(ImportFailed, match="could not tell the format"):
        parse([other])


# --- Optuna trials_dataframe() --------------------------------------------------------------


def test_optuna_sample_makes_one_run_a_trial(samples):
    files = one(samples / "optuna_trials.csv")
    assert detect_format(files) == "optuna_trials"

    result = parse(files)

    runs = by_name(result)
    assert list(runs) == [f"trial {n}" for n in range(6)]
    first = runs["trial 0"]
    assert first.params == {"dropout": "0.1", "lr": "0.001", "optimizer": "adam"}
    assert first.tags == {"val_accuracy": "0.861"}
    assert first.series["value"].values.tolist() == [0.4213]
    assert first.series["value"].steps.tolist() == [0]
    assert first.series["duration_s"].values.tolist() == [252.5]
    assert first.started_at == datetime(2026, 3, 2, 10, 0, 0, 125000, tzinfo=UTC)
    # The completion time is the wall time of the trial's values.
    completed = datetime(2026, 3, 2, 10, 4, 12, 625000, tzinfo=UTC).timestamp()
    assert first.series["value"].wall_times.tolist() == [completed]
    assert [run.status for run in result.runs] == [
        "COMPLETE",
        "COMPLETE",
        "PRUNED",
        "FAIL",
        "COMPLETE",
        "RUNNING",
    ]
    assert "value" not in runs["trial 3"].series and "value" not in runs["trial 5"].series
    assert runs["trial 4"].tags["optuna.fixed_params"] == "{'optimizer': 'adamw'}"
    assert runs["trial 5"].started_at == datetime(2026, 3, 2, 10, 14, 3, tzinfo=UTC)
    assert result.report.rows_rejected == 0 and result.report.warnings == []
    assert not result.report.uncertain


def test_optuna_multi_objective_without_index_column(upload):
    file = upload(
        "study.csv",
        "number,values_0,values_1,datetime_start,datetime_complete,duration,params_depth,state\n"
        "0,0.91,120.5,2026-01-05 08:00:00,2026-01-05 08:01:00,0 days 00:01:00,4,COMPLETE\n"
        "1,0.93,340.0,2026-01-05 08:01:01,2026-01-05 08:03:01,0 days 00:02:00,8,COMPLETE\n",
    )

    result = parse([file])

    assert result.format == "optuna_trials"
    runs = by_name(result)
    assert runs["trial 1"].series["values_0"].values.tolist() == [0.93]
    assert runs["trial 1"].series["values_1"].values.tolist() == [340.0]
    assert runs["trial 1"].params == {"depth": "8"}
    assert runs["trial 0"].started_at == datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_optuna_named_objectives_become_metric_names(upload):
    file = upload(
        "study.csv",
        "number,values_accuracy,values_latency_ms,params_width,state\n"
        "0,0.9,12.5,64,COMPLETE\n1,0.92,30.0,128,COMPLETE\n",
    )

    run = by_name(parse([file]))["trial 0"]

    assert set(run.series) == {"accuracy", "latency_ms"}


def test_optuna_one_named_objective_is_that_metric(upload):
    file = upload(
        "study.csv",
        ",number,value_rmse,datetime_start,datetime_complete,duration,params_a,state\n"
        "0,0,0.39,2026-01-05 08:00:00.5,2026-01-05 08:00:01,0 days 00:00:00.500000,0.3,COMPLETE\n",
    )

    (run,) = parse([file]).runs

    assert run.series["rmse"].values.tolist() == [0.39]
    assert run.series["duration_s"].values.tolist() == [0.5]


def test_optuna_multi_index_header_reads_as_the_flat_one(upload):
    file = upload(
        "study.csv",
        ",number,value,datetime_start,datetime_complete,duration,params,params,user_attrs,state\n"
        ",,,,,,depth,lr,note,\n"
        "0,0,0.25,2026-01-05 08:00:00,2026-01-05 08:01:00,0 days 00:01:00,3,0.1,warm,COMPLETE\n"
        "1,1,,2026-01-05 08:01:00,2026-01-05 08:01:30,0 days 00:00:30,5,0.01,,PRUNED\n",
    )

    result = parse([file])

    assert result.format == "optuna_trials"
    assert [(r.name, r.status) for r in result.runs] == [
        ("trial 0", "COMPLETE"),
        ("trial 1", "PRUNED"),
    ]
    assert result.runs[0].params == {"depth": "3", "lr": "0.1"}
    assert result.runs[0].tags == {"note": "warm"}
    assert result.report.rows_rejected == 0 and result.report.rows_read == 2
    assert decision(result, "columns")["choice"] == "two header lines"


def test_optuna_table_a_script_wrote_with_bare_param_names(upload):
    file = upload(
        "trials.csv",
        "number,state,value,learning_rate,val_loss,params\n"
        '0,COMPLETE,0.91,0.001,0.35,"{""layers"": 2}"\n'
        '1,PRUNED,,0.1,,"{""layers"": 4}"\n',
    )

    result = parse([file])

    assert result.format == "optuna_trials"
    first = result.runs[0]
    assert first.params == {"learning_rate": "0.001", "layers": "2"}
    assert first.series["val_loss"].values.tolist() == [0.35]
    assert result.runs[1].status == "PRUNED" and result.runs[1].params["layers"] == "4"


def test_optuna_table_without_times_or_state(upload):
    file = upload("trials.csv", "number,value,params_x,params_y\n0,1.5,0.1,a\n1,0.5,0.2,b\n")

    result = parse([file])

    assert result.format == "optuna_trials"
    assert [(r.name, r.status, r.started_at) for r in result.runs] == [
        ("trial 0", "", None),
        ("trial 1", "", None),
    ]
    assert result.runs[1].params == {"x": "0.2", "y": "b"}


def test_a_number_and_value_table_alone_is_not_taken_for_optuna(upload):
    file = upload("numbers.csv", "number,value\n1,2\n3,4\n")
    with pytest.raises(ImportFailed, match="could not tell the format"):
        parse([file])


def test_optuna_trial_without_number_is_rejected_with_its_line(upload):
    file = upload("trials.csv", "number,value,params_x,state\n0,1.5,0.1,COMPLETE\n,2.5,0.2,FAIL\n")

    result = parse([file])

    assert [run.name for run in result.runs] == ["trial 0"]
    assert result.report.rejected[0].reason == "the trial has no number"
    assert result.report.rejected[0].lines == [3]


# --- scikit-learn cv_results_ ---------------------------------------------------------------

CV_HEADER = (
    "mean_fit_time,std_fit_time,mean_score_time,std_score_time,param_alpha,params,"
    "split0_test_score,split1_test_score,mean_test_score,std_test_score,rank_test_score"
)


def test_sklearn_sample_makes_one_run_a_candidate_with_spread(samples):
    files = one(samples / "sklearn_cv_results.csv")
    assert detect_format(files) == "sklearn_cv_results"

    result = parse(files)

    runs = by_name(result)
    assert list(runs) == [
        "C=0.1, kernel=linear",
        "C=1, kernel=linear",
        "C=1, kernel=rbf, gamma=scale",
        "C=10, kernel=rbf, gamma=scale",
    ]
    best = runs["C=1, kernel=rbf, gamma=scale"]
    assert best.params == {"C": "1", "kernel": "rbf", "gamma": "scale"}
    assert best.tags == {"rank_test_score": "1"}
    score = best.series["mean_test_score"]
    assert score.steps.tolist() == [0] and score.values.tolist() == [0.8933]
    assert score.lower.tolist() == pytest.approx([0.8933 - 0.017])
    assert score.upper.tolist() == pytest.approx([0.8933 + 0.017])
    assert best.series["mean_train_score"].values.tolist() == [0.94]
    assert best.series["mean_fit_time"].values.tolist() == [0.0281]
    # Split scores are summarised by mean and std, not kept one by one.
    assert set(best.series) == {
        "mean_fit_time",
        "mean_score_time",
        "mean_test_score",
        "mean_train_score",
    }
    # A blank param_gamma is a param the linear grid does not have.
    assert runs["C=0.1, kernel=linear"].params == {"C": "0.1", "kernel": "linear"}
    assert [run.external_id for run in result.runs] == [f"candidate {i}" for i in range(4)]
    assert all(run.status == "" for run in result.runs)
    assert result.report.warnings == [] and result.report.rows_rejected == 0


def test_sklearn_without_index_column_and_failed_candidate(upload):
    file = upload(
        "cv.csv",
        CV_HEADER + "\n"
        "0.01,0.001,0.002,0.0001,0.1,{'alpha': 0.1},0.8,0.9,0.85,0.05,1\n"
        "0.01,0.001,0.002,0.0001,10,{'alpha': 10},,,,,2\n",
    )

    result = parse([file])

    assert result.format == "sklearn_cv_results"
    runs = by_name(result)
    assert list(runs) == ["alpha=0.1", "alpha=10"]
    assert runs["alpha=0.1"].series["mean_test_score"].lower.tolist() == pytest.approx([0.8])
    assert runs["alpha=10"].status == "FAILED"
    assert "mean_test_score" not in runs["alpha=10"].series
    assert decision(result, "status")["choice"] == "1 candidate FAILED"


def test_sklearn_multi_metric_and_halving_rounds_keep_names_distinct(upload):
    file = upload(
        "halving.csv",
        ",iter,n_resources,mean_fit_time,std_fit_time,param_max_depth,params,"
        "split0_test_acc,split1_test_acc,mean_test_acc,std_test_acc,rank_test_acc,"
        "mean_test_f1,std_test_f1,rank_test_f1\n"
        "0,0,20,0.1,0.01,3,{'max_depth': 3},0.7,0.8,0.75,0.05,3,0.6,0.1,3\n"
        "1,0,20,0.1,0.01,5,{'max_depth': 5},0.8,0.9,0.85,0.05,2,0.7,0.1,2\n"
        "2,1,60,0.3,0.02,5,{'max_depth': 5},0.9,0.9,0.9,0.0,1,0.8,0.0,1\n",
    )

    result = parse([file])

    assert result.format == "sklearn_cv_results"
    names = [run.name for run in result.runs]
    assert names == [
        "iter=0, n_resources=20, max_depth=3",
        "iter=0, n_resources=20, max_depth=5",
        "iter=1, n_resources=60, max_depth=5",
    ]
    last = result.runs[-1]
    assert set(last.series) == {"mean_fit_time", "mean_test_acc", "mean_test_f1"}
    assert last.tags == {"rank_test_acc": "1", "rank_test_f1": "1"}
    assert last.params == {"iter": "1", "n_resources": "60", "max_depth": "5"}


def test_sklearn_same_params_twice_and_no_varying_param_fall_back_to_the_index(upload):
    file = upload(
        "cv.csv",
        CV_HEADER + "\n"
        "0.01,0.001,0.002,0.0001,1,{'alpha': 1},0.8,0.9,0.85,0.05,1\n"
        "0.01,0.001,0.002,0.0001,1,{'alpha': 1},0.7,0.9,0.8,0.1,2\n",
    )

    result = parse([file])

    assert [run.name for run in result.runs] == ["candidate 0", "candidate 1"]
    assert decision(result, "run name")["choice"] == "candidate <index>"


def test_sklearn_split_scores_without_mean_give_mean_and_std(upload):
    file = upload(
        "cv.csv",
        "mean_fit_time,param_alpha,split0_test_score,split1_test_score,rank_test_score\n"
        "0.1,0.1,0.8,0.9,1\n0.1,1,0.6,0.6,2\n",
    )

    result = parse([file])

    score = by_name(result)["alpha=0.1"].series["mean_test_score"]
    assert score.values.tolist() == pytest.approx([0.85])
    assert score.lower.tolist() == pytest.approx([0.8])
    assert score.upper.tolist() == pytest.approx([0.9])


def test_sklearn_params_dict_alone_gives_the_params(upload):
    file = upload(
        "cv.csv",
        "mean_fit_time,params,mean_test_score,std_test_score,rank_test_score\n"
        "0.1,\"{'C': 1, 'kernel': 'rbf'}\",0.9,0.01,1\n"
        "0.1,\"{'C': 2, 'kernel': 'rbf'}\",0.8,0.01,2\n",
    )

    result = parse([file])

    assert [run.params for run in result.runs] == [
        {"C": "1", "kernel": "rbf"},
        {"C": "2", "kernel": "rbf"},
    ]
    assert result.runs[0].name == "{'C': 1, 'kernel': 'rbf'}"


def test_a_table_with_one_sklearn_like_column_is_not_taken_for_cv_results(upload):
    file = upload("scores.csv", "epoch,mean_test_score,loss\n0,0.5,1.0\n1,0.6,0.9\n")
    assert detect_format([file]) == "wide_csv"


def test_trainer_state_value_logged_twice_at_a_step_is_one_point(upload):
    history = [
        {"epoch": 0.5, "loss": 0.9, "num_input_tokens_seen": 2048, "step": 10, "total_flos": 1.0},
        {"epoch": 0.5, "eval_loss": 0.8, "num_input_tokens_seen": 2048, "step": 10},
        {"epoch": 1.0, "loss": 0.7, "num_input_tokens_seen": 4096, "step": 20, "total_flos": 2.0},
    ]
    result = parse([upload("trainer_state.json", trainer_state(history, max_steps=100))])

    (run,) = result.runs
    assert run.series["num_input_tokens_seen"].steps.tolist() == [10, 20]
    assert result.report.warnings == [
        "“trainer_state.json” has no final training summary (train_runtime): it was saved at "
        "step 30 of 100, before training ended, so the run's status is not known."
    ]
    # total_flos in every entry (older versions) is a series, not the end-of-training summary.
    assert run.status == ""


def test_trainer_state_nested_too_deeply_is_refused(upload):
    deep = '{"global_step": 1, "log_history": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    with pytest.raises(ImportFailed, match="The file is nested too deeply to read"):
        parse([upload("trainer_state.json", deep)])


def test_optuna_intermediate_values_are_a_series_over_their_steps(upload):
    file = upload(
        "trials.csv",
        "number,value,intermediate_values_0,intermediate_values_1,intermediate_values_2,"
        "params_lr,state\n"
        "0,0.7,0.5,0.6,0.7,0.01,COMPLETE\n"
        "1,,0.3,,,0.1,PRUNED\n",
    )

    runs = by_name(parse([file]))

    assert runs["trial 0"].series["intermediate_value"].steps.tolist() == [0, 1, 2]
    assert runs["trial 0"].series["intermediate_value"].values.tolist() == [0.5, 0.6, 0.7]
    assert runs["trial 1"].series["intermediate_value"].values.tolist() == [0.3]
    assert runs["trial 1"].status == "PRUNED"


def test_sklearn_pipeline_params_are_named_by_their_last_part(upload):
    file = upload(
        "cv.csv",
        "param_clf__C,param_prep__scale,mean_test_score\n0.1,True,0.8\n1.0,False,0.9\n",
    )

    result = parse([file])

    assert result.format == "sklearn_cv_results"
    assert [run.name for run in result.runs] == ["C=0.1, scale=True", "C=1.0, scale=False"]
    assert result.runs[0].params == {"clf__C": "0.1", "prep__scale": "True"}


@pytest.mark.parametrize(
    "header",
    [
        ",number,value,datetime_start,params_x,state",
        "mean_fit_time,param_C,mean_test_score,rank_test_score",
    ],
)
def test_a_tuning_table_with_only_its_header_fails_clearly(upload, header):
    with pytest.raises(ImportFailed, match="has no data rows"):
        parse([upload("results.csv", header + "\n")])


def test_a_hostile_params_cell_is_kept_as_text_never_run(upload):
    nested = "[" * 300 + "]" * 300
    call = "{'a': __import__('os').system('echo hi')}"
    file = upload(
        "cv.csv",
        f'params,mean_test_score,rank_test_score\n"{nested}",0.5,2\n"{call}",0.9,1\n',
    )

    result = parse([file])

    assert [run.params for run in result.runs] == [{"params": nested}, {"params": call}]


def test_trainer_state_in_a_generic_folder_is_named_by_its_best_checkpoint(tmp_path, samples):
    archive = tmp_path / "outputs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(samples / "trainer_state.json", "outputs/trainer_state.json")
        zipped.writestr("distilbert-imdb/trainer_state.json", trainer_state(TRAIN_ONLY))

    result = parse(one(archive))

    assert sorted(run.name for run in result.runs) == ["bert-sst2", "distilbert-imdb"]
