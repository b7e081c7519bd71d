"""manage.py import_results: result files into a project from the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects.models import ExperimentImport, MetricSeries, Run
from tests.factories import create_project, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Fraud model")


def _call(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_results", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_and_prints_a_summary(project):
    out, err = _call("--project", f"alice/{project.slug}", str(sample("long.csv")), "--sync")

    imp = project.imports.get()
    assert imp.status == "succeeded"
    assert imp.uploaded_by.username == "alice"
    assert "long.csv: 6 runs, 12 series, 360 points (long_csv); 0 rows rejected, 0 warnings." in out
    assert err == ""
    assert Run.objects.filter(project=project).count() == 6


def test_it_imports_several_files_as_one_import_each(project):
    files = [str(sample("metrics.jsonl")), str(sample("keras_training_log.csv"))]

    out, _ = _call("--project", f"alice/{project.slug}", *files, "--sync")

    assert sorted(project.imports.values_list("original_name", "status")) == [
        ("keras_training_log.csv", "succeeded"),
        ("metrics.jsonl", "succeeded"),
    ]
    assert "metrics.jsonl: 1 run, 2 series, 20 points (jsonl)" in out
    assert "keras_training_log.csv: 1 run, 4 series, 48 points (wide_csv); 0 rows rejected, " in out
    assert "  warning: The file has Windows line ends (CRLF)" in out


def test_it_passes_the_run_and_metric_names_on(project):
    _call(
        "--project",
        f"alice/{project.slug}",
        str(sample("run-resnet-tag-val_loss.json")),
        "--run-name",
        "resnet50",
        "--metric-name",
        "val/loss",
        "--format",
        "tensorboard_json",
        "--sync",
    )

    run = project.runs.get()
    assert run.name == "resnet50"
    assert list(run.summary) == ["val/loss"]


def test_it_says_when_a_file_was_imported_already(project):
    args = ("--project", f"alice/{project.slug}", str(sample("metrics.jsonl")), "--sync")
    _call(*args)

    out, _ = _call(*args)

    imp = project.imports.get()
    assert f"metrics.jsonl: imported already (import {imp.pk})." in out
    assert "metrics.jsonl: 1 run, 2 series, 20 points" in out


def test_a_file_that_fails_exits_1_and_prints_why(project, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("Notes about the run, not results.\n")
    err = StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_results",
            "--project",
            f"alice/{project.slug}",
            str(bad),
            "--sync",
            stdout=StringIO(),
            stderr=err,
        )

    assert exit_info.value.code == 1
    assert "notes.txt: failed: Cairn could not tell the format of “notes.txt”." in err.getvalue()
    assert project.imports.get().status == "failed"
    assert not MetricSeries.objects.exists()


def test_one_bad_file_among_good_ones_still_exits_1(project, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("Not results.\n")

    with pytest.raises(SystemExit) as exit_info:
        _call(
            "--project", f"alice/{project.slug}", str(sample("metrics.jsonl")), str(bad), "--sync"
        )

    assert exit_info.value.code == 1
    assert sorted(project.imports.values_list("status", flat=True)) == ["failed", "succeeded"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("alice/no-such-project", "No project alice/no-such-project"),
        ("nobody/fraud-model", "No project nobody/fraud-model"),
        ("bob/fraud-model", "No project bob/fraud-model"),
        ("fraud-model", "--project must be owner/slug"),
    ],
)
def test_it_refuses_a_project_that_is_not_there(project, bob, spec, message):
    with pytest.raises(CommandError, match=message):
        _call("--project", spec, str(sample("metrics.jsonl")), "--sync")

    assert not ExperimentImport.objects.exists()


def test_it_refuses_a_file_that_is_not_there(project, tmp_path):
    missing = tmp_path / "missing.csv"

    with pytest.raises(CommandError, match="No such file"):
        _call("--project", f"alice/{project.slug}", str(missing), "--sync")


# --- Exit status: 0 imported, 1 failed, 2 held for review ---------------------------------------


def _exit_code(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_results", *args, stdout=out, stderr=err)
    except SystemExit as exit_info:
        return exit_info.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_file_held_for_review_exits_2_and_says_where_to_check_it(project, monkeypatch):
    from projects import importers

    real_parse = importers.parse

    def unsure(*args, **kwargs):
        # The real reading, with one guess Cairn is unsure of (as an ambiguous date column is).
        result = real_parse(*args, **kwargs)
        result.report.decide(
            "dates in “Start Time”", "day-month", "04-08 reads both ways", certain=False
        )
        return result

    monkeypatch.setattr(importers, "parse", unsure)

    code, _, err = _exit_code(
        "--project", f"alice/{project.slug}", str(sample("long.csv")), "--sync"
    )

    imp = project.imports.get()
    assert code == 2
    assert imp.status == "review"
    assert "long.csv: held for review: Check how Cairn read this file" in err
    assert imp.get_absolute_url() in err
    assert not Run.objects.filter(project=project).exists()


def test_the_same_file_after_a_failure_is_imported_again_and_exits_0(project):
    spec = f"alice/{project.slug}"
    code, _, _ = _exit_code(
        "--project", spec, str(sample("metrics.jsonl")), "--format", "long_csv", "--sync"
    )
    assert code == 1

    code, out, err = _exit_code("--project", spec, str(sample("metrics.jsonl")), "--sync")

    assert code == 0, err
    assert "imported already" not in out
    assert "metrics.jsonl: 1 run, 2 series, 20 points (jsonl)" in out
    assert project.imports.get().status == "succeeded"


def test_the_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        call_command("import_results", "--help")

    text = " ".join(capsys.readouterr().out.split())
    assert "0 every file imported" in text
    assert "1 an import failed" in text
    assert "2 an import is held for review" in text


LIGHTNING = "epoch,step,train_loss,val_loss\n0,9,0.9,\n0,9,,0.8\n1,19,0.7,\n1,19,,0.6\n"


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_a_metrics_csv_and_its_hparams_yaml_are_one_import_with_params(project, tmp_path):
    folder = tmp_path / "my_exp" / "version_3"
    files = [
        _write(folder / "metrics.csv", LIGHTNING),
        _write(folder / "hparams.yaml", "lr: 0.001\nbatch_size: 64\n"),
    ]

    out, err = _call("--project", f"alice/{project.slug}", *files, "--sync")

    imp = project.imports.get()
    assert imp.status == "succeeded", imp.message
    run = project.runs.get()
    assert run.name == "my_exp/version_3"
    assert run.params == {"lr": "0.001", "batch_size": "64"}
    assert "1 run, 2 series, 4 points (wide_csv)" in out
    assert err == ""


def test_lightning_meta_tags_csv_on_the_command_line_gives_params(project, tmp_path):
    folder = tmp_path / "lightning_logs" / "version_0"
    files = [
        _write(folder / "metrics.csv", LIGHTNING),
        _write(folder / "meta_tags.csv", "key,value\nlr,0.02\n"),
    ]

    _call("--project", f"alice/{project.slug}", *files, "--sync")

    run = project.runs.get()
    assert (run.name, run.params) == ("version_0", {"lr": "0.02"})


def test_five_lightning_versions_one_at_a_time_get_five_names(project, tmp_path):
    for n in range(5):
        text = LIGHTNING.replace("0.9", f"0.9{n}")
        path = _write(tmp_path / "lightning_logs" / f"version_{n}" / "metrics.csv", text)
        _call("--project", f"alice/{project.slug}", path, "--sync")

    names = sorted(project.runs.values_list("name", flat=True))
    assert names == [f"version_{n}" for n in range(5)]
    report = project.imports.first().report
    assert any(d["subject"] == "run name" and "Lightning" in d["why"] for d in report["decisions"])


def test_tensorboard_tag_files_of_one_folder_are_one_run(project, tmp_path):
    tb = "Wall time,Step,Value\n1700000000.0,0,0.9\n1700000010.0,1,0.8\n"
    files = [
        _write(tmp_path / "resnet" / "loss.csv", tb),
        _write(tmp_path / "resnet" / "accuracy.csv", tb),
    ]

    _call("--project", f"alice/{project.slug}", *files, "--sync")

    run = project.runs.get()
    assert run.name == "resnet"
    assert sorted(run.summary) == ["accuracy", "loss"]
