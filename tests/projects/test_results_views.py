"""The pages of experiment results: upload, import progress, the runs table and a run's charts."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import importers
from projects.models import ExperimentImport
from tests.factories import create_project, import_results, long_csv, mlflow_runs_csv, sample

pytestmark = pytest.mark.django_db

NOSCRIPT_REFRESH = '<noscript><meta http-equiv="refresh" content="2"></noscript>'


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Fraud model")


def _upload_url(project) -> str:
    return reverse("projects:import-upload", args=[project.slug])


def _file(name: str) -> SimpleUploadedFile:
    path = sample(name)
    return SimpleUploadedFile(path.name, path.read_bytes())


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _run_names(response) -> list[str]:
    """The run names of the runs table, top to bottom."""
    rows = re.findall(
        r'<tr data-testid="run-row">\s*<th scope="row"><a [^>]*>([^<]*)</a>', response.text
    )
    return [unescape(name) for name in rows]


def _figures(response) -> dict[str, dict]:
    """The plotly figures the page hands to charts.js, by their element id."""
    scripts = re.findall(
        r'<script id="figure-(chart-\d+)" type="application/json">(.*?)</script>',
        response.text,
        re.S,
    )
    return {element: json.loads(payload) for element, payload in scripts}


def _set_status(imp: ExperimentImport, status: str, **fields) -> ExperimentImport:
    ExperimentImport.objects.filter(pk=imp.pk).update(status=status, **fields)
    imp.refresh_from_db()
    return imp


# --- Upload ------------------------------------------------------------------------------------


def test_it_uploads_one_file_as_one_import_and_shows_its_page(alice_client, project):
    response = alice_client.post(_upload_url(project), {"files": _file("metrics.jsonl")})

    imp = project.imports.get()
    assert response.status_code == 302
    assert response["Location"] == imp.get_absolute_url()
    assert (imp.original_name, imp.status) == ("metrics.jsonl", "queued")
    assert imp.files.get().original_name == "metrics.jsonl"


def test_it_uploads_several_files_as_one_import_each(alice_client, project):
    files = [_file("metrics.jsonl"), _file("long.csv"), _file("mlflow_runs.csv")]

    response = alice_client.post(_upload_url(project), {"files": files}, follow=True)

    assert response.redirect_chain == [(f"{project.get_absolute_url()}#results", 302)]
    assert _messages(response) == ["3 files uploaded: see each import below."]
    names = sorted(project.imports.values_list("original_name", flat=True))
    assert names == ["long.csv", "metrics.jsonl", "mlflow_runs.csv"]
    assert all(imp.files.count() == 1 for imp in project.imports.all())
    for imp in project.imports.all():  # the recent imports on the project page, each linked
        assert f'<a href="{imp.get_absolute_url()}">{imp.original_name}</a>' in response.text
        assert f'aria-label="Progress of {imp.original_name}"' in response.text
    assert 'data-testid="imports-summary" role="status">0 of 3 imports done · 0%' in response.text
    # The list polls itself while any import is unfinished, from the first of this batch on.
    first = project.imports.order_by("pk").first()
    assert f'{_progress_url(project)}?since={first.pk}" hx-trigger="every 1s"' in response.text


def _progress_url(project) -> str:
    return reverse("projects:import-progress", args=[project.slug])


def _three_uploads(project) -> list[ExperimentImport]:
    names = ("metrics.jsonl", "long.csv", "mlflow_runs.csv")
    return [import_results(project, sample(name), process=False) for name in names]


def test_the_imports_list_counts_the_batch_as_its_imports_end(alice_client, project, htmx_headers):
    older = import_results(project, sample("keras_training_log.csv"))
    first, second, third = _three_uploads(project)
    url = f"{_progress_url(project)}?since={first.pk}"

    _set_status(first, "succeeded", progress=1)
    _set_status(second, "running", progress=0.5)
    polled = alice_client.get(url, headers=htmx_headers)

    assert polled.status_code == 200
    assert "<html" not in polled.text
    assert "HX-Request" in polled["Vary"]
    assert "1 of 3 imports done · 50%" in polled.text  # (100 + 50 + 0) / 3
    assert 'hx-trigger="every 1s"' in polled.text
    assert polled.text.count('data-testid="import-row"') == 4  # the older import is listed too
    assert older.original_name in polled.text

    _set_status(second, "failed", message="No run column.")
    _set_status(third, "review")
    done = alice_client.get(url, headers=htmx_headers)

    assert done.status_code == 286  # htmx stops polling, and still swaps the last state in
    assert "3 of 3 imports done · 1 failed · 100%" in done.text
    assert "hx-trigger" not in done.text
    assert "No run column." in done.text


def test_the_imports_page_refreshes_itself_without_javascript(alice_client, project):
    _three_uploads(project)

    page = alice_client.get(_progress_url(project))

    assert page.status_code == 200
    assert NOSCRIPT_REFRESH in page.text
    assert "0 of 3 imports done · 0%" in page.text
    for imp in project.imports.all():
        _set_status(imp, "succeeded", progress=1)
    assert NOSCRIPT_REFRESH not in alice_client.get(_progress_url(project)).text


@pytest.mark.parametrize("since", ["abc", "-1", "9" * 40, ""])
def test_a_since_that_is_not_an_import_id_is_ignored(alice_client, project, htmx_headers, since):
    _three_uploads(project)

    response = alice_client.get(f"{_progress_url(project)}?since={since}", headers=htmx_headers)

    assert response.status_code == 200
    assert "0 of 3 imports done · 0%" in response.text


def test_the_imports_list_is_the_owners_alone(bob_client, project):
    _three_uploads(project)

    assert bob_client.get(_progress_url(project)).status_code == 404


def test_it_uploads_a_lightning_log_with_its_hparams_as_one_import(
    alice_client, project, django_capture_on_commit_callbacks
):
    files = [
        _file("lightning_logs/version_0/metrics.csv"),
        _file("lightning_logs/version_0/hparams.yaml"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(_upload_url(project), {"files": files})

    imp = project.imports.get()
    assert response["Location"] == imp.get_absolute_url()
    assert imp.original_name == "metrics.csv, hparams.yaml"
    assert imp.files.count() == 2
    imp.refresh_from_db()
    assert imp.status == "succeeded"
    assert imp.runs.get().params["model.name"] == "resnet18"


def test_it_passes_the_options_of_the_form_to_the_import(
    alice_client, project, django_capture_on_commit_callbacks
):
    data = {
        "files": _file("run-resnet-tag-val_loss.csv"),
        "format": "tensorboard_csv",
        "run_name": " resnet50-lr3e-4 ",
        "metric_name": "val/loss",
    }

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(_upload_url(project), data)

    run = project.runs.get()
    assert run.name == "resnet50-lr3e-4"
    assert list(run.summary) == ["val/loss"]


def test_it_refuses_an_upload_without_a_file_with_a_message(alice_client, project):
    response = alice_client.post(_upload_url(project), {}, follow=True)

    assert response.redirect_chain == [(f"{project.get_absolute_url()}#results", 302)]
    assert _messages(response) == ["Choose at least one file."]
    assert not project.imports.exists()


def test_the_project_page_offers_the_upload_form(alice_client, project):
    response = alice_client.get(project.get_absolute_url())

    assert f'action="{_upload_url(project)}"' in response.text
    assert 'enctype="multipart/form-data"' in response.text
    assert 'type="file" name="files"' in response.text


# --- The import page ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "running"])
def test_the_import_page_polls_and_refreshes_while_the_import_is_not_done(
    alice_client, project, status
):
    imp = _set_status(import_results(project, sample("metrics.jsonl"), process=False), status)

    response = alice_client.get(imp.get_absolute_url())

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert NOSCRIPT_REFRESH in response.text
    assert f'hx-get="{imp.get_absolute_url()}" hx-trigger="every 1s"' in response.text
    assert "<html" in response.text
    assert "Provenance" in response.text


@pytest.mark.parametrize("status", ["queued", "running"])
def test_htmx_gets_only_the_status_and_keeps_polling_while_not_done(
    alice_client, project, htmx_headers, status
):
    imp = _set_status(
        import_results(project, sample("metrics.jsonl"), process=False),
        status,
        message="Saving runs" if status == "running" else "",
        progress=0.85 if status == "running" else 0.0,
    )

    response = alice_client.get(imp.get_absolute_url(), headers=htmx_headers)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert response.text.lstrip().startswith('<section class="card import-status"')
    assert "<html" not in response.text
    assert "Provenance" not in response.text
    assert f'hx-get="{imp.get_absolute_url()}"' in response.text
    if status == "running":
        assert "85%" in response.text
        assert "Saving runs" in response.text
    else:
        assert "Waiting for a worker" in response.text


def test_htmx_gets_the_final_status_with_286_once_the_import_succeeded(
    alice_client, project, htmx_headers
):
    imp = import_results(project, sample("metrics.jsonl"))

    response = alice_client.get(imp.get_absolute_url(), headers=htmx_headers)

    assert response.status_code == 286
    assert "hx-get" not in response.text
    assert "1 run, 2 series, 20 points, read as JSON Lines." in response.text
    assert reverse("projects:runs", args=[project.slug]) in response.text


def test_the_page_of_a_finished_import_neither_polls_nor_refreshes(alice_client, project):
    imp = import_results(project, sample("metrics.jsonl"))

    response = alice_client.get(imp.get_absolute_url())

    assert response.status_code == 200
    assert NOSCRIPT_REFRESH not in response.text
    # Only the header's notification count polls (every page has it), never the import.
    assert imp.get_absolute_url() not in re.findall(r'hx-get="([^"]*)"', response.text)
    assert re.findall(r'hx-get="([^"]*)"', response.text) == [
        reverse("mentoring:notifications-count")
    ]
    assert "bert-finetune" in response.text  # the runs from this file
    assert f"sha256 <code>{imp.sha256[:12]}</code>" in response.text


def test_a_failed_import_shows_its_message_and_a_retry_button(alice_client, project, htmx_headers):
    imp = import_results(project, ("notes.txt", b"Notes, not results.\n"))
    retry = reverse("projects:import-retry", args=[project.slug, imp.pk])

    page = alice_client.get(imp.get_absolute_url())
    partial = alice_client.get(imp.get_absolute_url(), headers=htmx_headers)

    assert page.status_code == 200
    assert partial.status_code == 286
    for response in (page, partial):
        assert 'role="alert">Cairn could not tell the format of “notes.txt”.' in response.text
        assert f'<form method="post" action="{retry}">' in response.text
        assert "Try again" in response.text
    assert NOSCRIPT_REFRESH not in page.text


def test_the_retry_button_queues_a_failed_import_again(
    alice_client, project, monkeypatch, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as patch:
        patch.setattr(importers, "parse", lambda *a, **k: 1 / 0)
        imp = import_results(project, sample("metrics.jsonl"))
    assert imp.status == "failed"

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("projects:import-retry", args=[project.slug, imp.pk]), follow=True
        )

    assert response.redirect_chain == [(imp.get_absolute_url(), 302)]
    assert "Queued again." in _messages(response)
    imp.refresh_from_db()
    assert imp.status == "succeeded"


def test_deleting_an_import_asks_first_then_deletes_its_runs(
    alice_client, project, django_capture_on_commit_callbacks
):
    imp = import_results(project, sample("long.csv"))
    url = reverse("projects:import-delete", args=[project.slug, imp.pk])

    confirm = alice_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, follow=True)

    assert "Its 6 runs and their metrics go with it" in confirm.text
    assert response.redirect_chain == [(f"{project.get_absolute_url()}#results", 302)]
    assert _messages(response) == ["Import “long.csv” and its runs were deleted."]
    assert not project.imports.exists()
    assert not project.runs.exists()


# --- The runs table ----------------------------------------------------------------------------


@pytest.fixture
def three_runs(project):
    return import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    ("steady", "loss"): [0.5, 0.4, 0.3],
                    ("spiky", "loss"): [0.9, 0.1, 0.8],
                    ("flat", "loss"): [0.6, 0.6],
                    ("steady", "accuracy"): [0.5, 0.7, 0.6],
                    ("spiky", "accuracy"): [0.2, 0.3, 0.4],
                    ("flat", "accuracy"): [0.65, 0.65],
                }
            ),
        ),
    )


@pytest.mark.parametrize(
    ("sort", "order", "names"),
    [
        ("name", "", ["flat", "spiky", "steady"]),
        ("name", "desc", ["steady", "spiky", "flat"]),
        # Best loss is the lowest a run reached: spiky dipped to 0.1 before ending at 0.8.
        ("best:loss", "", ["spiky", "steady", "flat"]),
        ("best:loss", "desc", ["flat", "steady", "spiky"]),
        ("last:loss", "", ["steady", "flat", "spiky"]),
        # Best accuracy is the highest a run reached: steady got to 0.7 before ending at 0.6.
        ("best:accuracy", "desc", ["steady", "flat", "spiky"]),
        ("last:accuracy", "desc", ["flat", "steady", "spiky"]),
    ],
)
def test_it_sorts_the_runs_by_name_or_a_metrics_best_or_last_value(
    alice_client, project, three_runs, sort, order, names
):
    url = reverse("projects:runs", args=[project.slug])

    response = alice_client.get(url, {"sort": sort, "order": order})

    assert response.status_code == 200
    assert _run_names(response) == names


def test_it_shows_each_metrics_last_and_best_value_and_which_way_is_better(
    alice_client, project, three_runs
):
    response = alice_client.get(reverse("projects:runs", args=[project.slug]))

    table = response.context["table"]
    assert table.directions == {"accuracy": "higher", "loss": "lower"}
    cells = {row.name: row.cells for row in table.rows}
    assert cells["spiky"] == {"accuracy": (0.4, 0.4), "loss": (0.8, 0.1)}
    assert cells["steady"] == {"accuracy": (0.6, 0.7), "loss": (0.3, 0.3)}
    assert "best ↓" in response.text  # loss
    assert "best ↑" in response.text  # accuracy


@pytest.fixture
def sixty_runs(project):
    runs = [
        {
            "name": f"run-{n:02d}",
            "params": {"lr": ["0.1", "0.01", "0.001"][n % 3], "model": "resnet18"},
            "metrics": {"loss": round(1 - n / 100, 2)},
        }
        for n in range(60)
    ]
    return import_results(project, ("runs.csv", mlflow_runs_csv(runs)))


def test_it_filters_the_runs_by_a_param_value(alice_client, project, sixty_runs):
    response = alice_client.get(reverse("projects:runs", args=[project.slug]), {"q": "lr=0.01"})

    assert _run_names(response) == [f"run-{n:02d}" for n in range(1, 60, 3)]
    assert "20 runs." in response.text


def test_it_filters_the_runs_by_name_and_param_together(alice_client, project, sixty_runs):
    url = reverse("projects:runs", args=[project.slug])

    response = alice_client.get(url, {"q": "run-1 lr=0.1"})

    assert _run_names(response) == ["run-12", "run-15", "run-18"]


def test_it_says_when_no_run_matches_the_filter(alice_client, project, sixty_runs):
    response = alice_client.get(reverse("projects:runs", args=[project.slug]), {"q": "lr=0.5"})

    assert _run_names(response) == []
    assert "No run matches “lr=0.5”." in response.text


def test_it_shows_fifty_runs_a_page(alice_client, project, sixty_runs):
    url = reverse("projects:runs", args=[project.slug])

    first = alice_client.get(url, {"sort": "best:loss"})
    second = alice_client.get(url, {"sort": "best:loss", "page": 2})

    # Loss falls from 1.0 (run-00) to 0.41 (run-59): the lowest first.
    assert _run_names(first) == [f"run-{n:02d}" for n in range(59, 9, -1)]
    assert _run_names(second) == [f"run-{n:02d}" for n in range(9, -1, -1)]
    assert "Page 1 of 2" in first.text
    assert 'href="?q=&sort=best%3Aloss&page=2">Next' in first.text  # keeps the sort
    assert "Page 2 of 2" in second.text


def test_the_runs_table_says_there_is_nothing_yet(alice_client, project):
    response = alice_client.get(reverse("projects:runs", args=[project.slug]))

    assert response.status_code == 200
    assert "No runs yet" in response.text


def test_it_lists_a_hundred_runs_in_a_few_queries(
    alice_client, project, django_assert_max_num_queries
):
    runs = [
        {"name": f"run-{n:03d}", "params": {"lr": str(n)}, "metrics": {"loss": n, "r2": -n}}
        for n in range(100)
    ]
    import_results(project, ("runs.csv", mlflow_runs_csv(runs)))
    url = reverse("projects:runs", args=[project.slug])

    with django_assert_max_num_queries(6):
        response = alice_client.get(url, {"sort": "best:loss"})

    assert len(_run_names(response)) == 50


# --- A run's page ------------------------------------------------------------------------------


def test_the_run_page_shows_params_tags_and_where_the_numbers_came_from(alice_client, project):
    imp = import_results(project, sample("mlruns.zip"))
    run = imp.runs.get(name="elasticnet-1")

    response = alice_client.get(run.get_absolute_url())

    assert response.status_code == 200
    text = response.text
    assert "<dt>alpha</dt><dd>0.1</dd>" in text
    assert "<dt>mlflow.experiment</dt><dd>wine-quality</dd>" in text
    assert "ID <code>a4946d15b17dd255f4c18226aed23b0f</code>" in text
    assert f'from <a href="{imp.get_absolute_url()}">mlruns.zip</a>' in text
    assert f"(sha256 <code>{imp.sha256[:12]}</code>, mlflow_zip, importer 1.0," in text
