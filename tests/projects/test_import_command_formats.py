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
    assert run.name == "bert-sst2"
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
        ("trainer_state.json", "bert-sst2"),
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
