"""manage.py import_results reads the tuning and trainer files without --format."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.models import Run
from tests.factories import create_project, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Sentiment model")


def _import(project, name: str) -> str:
    out, err = StringIO(), StringIO()
    call_command(
        "import_results",
        "--project",
        f"alice/{project.slug}",
        str(sample(name)),
        "--sync",
        stdout=out,
        stderr=err,
    )
    assert err.getvalue() == ""
    return out.getvalue()


def test_trainer_state_imports_as_one_run_with_train_and_eval_curves(project):
    out = _import(project, "trainer_state.json")

    assert "trainer_state.json: 1 run, 14 series, 39 points (hf_trainer_state); " in out
    run = Run.objects.get(project=project)
    # The command line keeps the file's folders: the folder it lies in names the run.
    assert run.name == "samples"
    assert run.status == "FINISHED"
    assert run.params["train_batch_size"] == "32"
    counts = dict(run.series.values_list("key", "count"))
    assert counts["loss"] == 6 and counts["eval_accuracy"] == 3 and counts["train_loss"] == 1


def test_optuna_trials_import_as_one_run_a_trial(project):
    out = _import(project, "optuna_trials.csv")

    assert "optuna_trials.csv: 6 runs, 9 series, 9 points (optuna_trials); " in out
    runs = {run.name: run for run in Run.objects.filter(project=project)}
    assert sorted(runs) == [f"trial {n}" for n in range(6)]
    assert runs["trial 1"].params == {"dropout": "0.3", "lr": "0.0003", "optimizer": "adam"}
    assert runs["trial 2"].status == "PRUNED"
    assert runs["trial 3"].status == "FAIL"
    assert runs["trial 1"].started_at == datetime(2026, 3, 2, 10, 4, 13, tzinfo=UTC)
    assert runs["trial 1"].series.get(key="value").count == 1


def test_sklearn_cv_results_import_as_one_run_a_candidate(project):
    out = _import(project, "sklearn_cv_results.csv")

    assert "sklearn_cv_results.csv: 4 runs, 16 series, 16 points (sklearn_cv_results); " in out
    runs = {run.name: run for run in Run.objects.filter(project=project)}
    assert set(runs) == {
        "C=0.1, kernel=linear",
        "C=1, kernel=linear",
        "C=1, kernel=rbf, gamma=scale",
        "C=10, kernel=rbf, gamma=scale",
    }
    assert runs["C=1, kernel=rbf, gamma=scale"].tags == {"rank_test_score": "1"}
    assert runs["C=10, kernel=rbf, gamma=scale"].params == {
        "C": "10",
        "kernel": "rbf",
        "gamma": "scale",
    }


def test_the_upload_form_the_api_description_and_the_command_offer_the_new_formats(
    client, alice_client, project
):
    new = ["hf_trainer_state", "optuna_trials", "sklearn_cv_results"]
    page = alice_client.get(project.get_absolute_url()).text
    for key in new:
        assert f'<option value="{key}">' in page
    document = client.get(reverse("api:openapi")).json()
    body = document["paths"]["/projects/{slug}/imports"]["post"]["requestBody"]
    choices = body["content"]["multipart/form-data"]["schema"]["properties"]["format"]["enum"]
    assert set(new) <= set(choices)
    out, err = StringIO(), StringIO()
    call_command(
        "import_results",
        "--project",
        f"alice/{project.slug}",
        str(sample("sklearn_cv_results.csv")),
        "--format",
        "sklearn_cv_results",
        "--sync",
        stdout=out,
        stderr=err,
    )
    assert "(sklearn_cv_results)" in out.getvalue()


@pytest.mark.parametrize(
    ("name", "run_name"),
    [
        ("trainer_state.json", "samples"),
        ("optuna_trials.csv", "trial 4"),
        ("sklearn_cv_results.csv", "C=1, kernel=rbf, gamma=scale"),
    ],
)
def test_the_imported_runs_show_on_the_project_pages(alice_client, project, name, run_name):
    _import(project, name)
    run = Run.objects.get(project=project, name=run_name)

    for url in (
        reverse("projects:runs", args=[project.slug]),
        reverse("projects:run", args=[project.slug, run.pk]),
        reverse("projects:results", args=[project.slug]),
        reverse("projects:import", args=[project.slug, run.experiment_import_id]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert run_name in response.text or url.endswith("/results/"), url


def test_a_checkpoint_trainer_state_and_a_trials_table_on_one_command_line(project, tmp_path):
    folder = tmp_path / "roberta-lr3e5" / "checkpoint-30"
    folder.mkdir(parents=True)
    state = sample("trainer_state.json").read_text().replace('"./bert-sst2/checkpoint-60"', "null")
    (folder / "trainer_state.json").write_text(state)
    out, err = StringIO(), StringIO()

    call_command(
        "import_results",
        "--project",
        f"alice/{project.slug}",
        str(folder / "trainer_state.json"),
        str(sample("optuna_trials.csv")),
        "--sync",
        stdout=out,
        stderr=err,
    )

    assert err.getvalue() == ""
    assert sorted(project.imports.values_list("detected_format", flat=True)) == [
        "hf_trainer_state",
        "optuna_trials",
    ]
    trainer = project.imports.get(detected_format="hf_trainer_state")
    # The run is named by the output folder that holds the checkpoint.
    assert list(trainer.runs.values_list("name", flat=True)) == ["roberta-lr3e5"]


def test_uploads_of_trainer_logs_are_told_apart_from_json_lines():
    from projects.importers import kind_of

    state = sample("trainer_state.json").read_bytes()[:4096]
    history = b'[{"epoch": 0.5, "loss": 0.7, "step": 10}, {"epoch": 1.0, "loss": 0.5, "step": 20}]'

    assert kind_of("trainer_state.json", state) == "hf_trainer_state"
    assert kind_of("log_history.json", history) == "hf_trainer_state"
    assert kind_of("metrics.jsonl", b'{"step": 1, "loss": 2}\n') == "jsonl"
    assert kind_of("scalars.json", b"[[1700000000.0, 1, 0.5]]") == "tensorboard_json"
