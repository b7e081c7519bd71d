"""Every page of the demo shows something true and complete: each project's success metric is in
its own runs, each project holds only results about itself, and the charts span the weeks the
demo's story took."""

from __future__ import annotations

import datetime
import statistics
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from milestones.best_so_far import best_so_far_figure, best_so_far_for
from portfolio.demo.seed import seed_demo
from portfolio.management.commands.serve import Command as Serve
from projects.models import ExperimentImport, ImportStatus, Project, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer():
    seed_demo()
    return get_user_model().objects.get(username="demo")


def _projects(engineer):
    return Project.objects.filter(owner=engineer).select_related("current_revision")


def test_every_demo_import_succeeds(engineer):
    imports = ExperimentImport.objects.filter(project__owner=engineer)

    assert imports.count() >= 8
    assert set(imports.values_list("status", flat=True)) == {ImportStatus.SUCCEEDED}
    assert len(set(imports.values_list("detected_format", flat=True))) >= 6


def test_every_project_has_its_success_metric_in_every_one_of_its_runs(engineer):
    for project in _projects(engineer):
        metric = project.current_revision.success_metric
        runs = list(project.runs.all())

        assert metric, project.title
        assert len(runs) >= 2, project.title
        # A run about another project's experiment would not carry this project's metric.
        assert [r.name for r in runs if metric not in r.summary] == [], project.title


def test_the_runs_of_a_project_share_the_x_axis_of_their_success_metric(engineer):
    """A chart of the success metric draws every run over the same steps (epochs, rounds), not
    one run over 70,000 global steps and the others squeezed into its first pixels."""
    from projects.models import MetricSeries

    for project in _projects(engineer):
        metric = project.current_revision.success_metric
        last_steps = sorted(
            int(series.step_array().max())
            for series in MetricSeries.objects.filter(run__project=project, key=metric)
        )

        assert len(last_steps) >= 2, project.title
        # No run reaches ten times further than the next longest (one-epoch runs are fine).
        assert last_steps[-1] <= 10 * max(1, last_steps[-2]), (project.title, last_steps)


def test_revisions_are_dated_along_the_story_and_reach_the_mentor_only_after_they_joined(
    engineer,
):
    from portfolio.models import Mentorship, Notification

    since = Mentorship.objects.get(engineer=engineer).accepted_at
    for project in _projects(engineer):
        dates = list(project.revisions.order_by("number").values_list("created_at", flat=True))
        first_import = project.imports.order_by("created_at").first().created_at

        assert dates == sorted(dates) and len(set(dates)) == len(dates), project.title
        # The write-up comes before the first results, and no revision is "just now".
        assert dates[0] < first_import, project.title
        assert timezone.now() - dates[-1] > datetime.timedelta(days=7), project.title
        told = Notification.objects.filter(revision__project=project)
        assert all(n.created_at >= since for n in told), project.title
        shown = {d for d in dates if d >= since} if project.visibility != "private" else set()
        assert {n.revision.created_at for n in told} == shown, project.title


def test_the_public_project_page_shows_its_success_metric(client, engineer):
    project = _projects(engineer).get(visibility="public")

    response = client.get(reverse("public:project", args=["demo", project.slug]))

    assert response.status_code == 200
    assert "No run has the success metric" not in response.text
    assert project.current_revision.success_metric in response.text


def test_the_best_so_far_charts_span_weeks_and_reach_the_target_where_the_story_says(engineer):
    series, left_out = best_so_far_for(owner=engineer)

    assert left_out == 0
    assert {s.project.title for s in series} == {p.title for p in _projects(engineer)}
    for s in series:
        assert len(s.dates) >= 2, s.project.title
        assert max(s.dates) - min(s.dates) > datetime.timedelta(days=7), s.project.title
        assert s.best == sorted(s.best), s.project.title  # higher is better for all three
        x = best_so_far_figure(s)["data"][0]["x"]
        assert len(set(x)) == len(x), s.project.title
    met = {s.project.title: s.target_met for s in series}
    assert met["Real-time card fraud detection"] is True
    assert met["Reproducing AutoAugment on CIFAR-10"] is True
    assert met["Support ticket router"] is True


def test_the_baseline_of_the_reproduction_misses_the_target_that_augmentation_meets(engineer):
    project = _projects(engineer).get(title="Reproducing AutoAugment on CIFAR-10")
    best = {
        run.name: run.summary["val_acc"]["max"]
        for run in project.runs.all()
        if "val_acc" in run.summary
    }

    assert sorted(best) == [
        f"{arm}-seed{s}" for arm in ("autoaugment", "baseline") for s in (1, 2, 3)
    ]
    assert all(v < 0.95 for name, v in best.items() if name.startswith("baseline"))
    assert all(v >= 0.95 for name, v in best.items() if name.startswith("autoaugment"))


def test_runs_start_over_weeks_not_at_one_moment(engineer):
    for project in _projects(engineer):
        starts = list(project.runs.values_list("started_at", flat=True))

        assert None not in starts, project.title
        assert max(starts) - min(starts) > datetime.timedelta(days=14), project.title
        assert max(starts) < project.imports.latest("finished_at").finished_at


def test_seeding_again_imports_nothing_more(engineer):
    runs, imports = Run.objects.count(), ExperimentImport.objects.count()

    seed_demo()

    assert (Run.objects.count(), ExperimentImport.objects.count()) == (runs, imports)


def test_seed_demo_and_make_run_print_both_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)

    class Stopped:
        def poll(self):
            return 1

    serve = Serve(stdout=StringIO())
    serve._announce_when_ready("http://127.0.0.1:9/", [Stopped()])

    for text in (out.getvalue(), serve.stdout._out.getvalue()):
        assert "demo / demo" in text
        assert "mentor / mentor" in text


def test_the_reproductions_record_states_the_means_its_runs_give(engineer):
    project = _projects(engineer).get(title="Reproducing AutoAugment on CIFAR-10")
    finals: dict[str, list[float]] = {}
    for run in project.runs.all():
        finals.setdefault(run.name.split("-seed")[0], []).append(run.summary["val_acc"]["last"])

    # "Baseline: 94.8% ± 0.1 over 3 seeds. AutoAugment: 95.9% ± 0.2."
    assert "94.8%" in project.current_revision.results
    assert round(100 * statistics.mean(finals["baseline"]), 1) == 94.8
    assert round(100 * statistics.mean(finals["autoaugment"]), 1) == 95.9


def test_the_fraud_record_names_the_scores_of_its_own_baseline_runs(engineer):
    project = _projects(engineer).get(title="Real-time card fraud detection")
    last = {run.name: run.summary["recall_at_1pct"]["last"] for run in project.runs.all()}
    results = project.current_revision.results

    # "(rules 0.33, logistic baseline 0.41)"
    assert f"rules {last['rules-engine']:.2f}" in results
    assert f"logistic baseline {last['logreg-baseline']:.2f}" in results
