"""A project's success metric (from its record) against its best run, on the project page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects import targets
from projects.models import Run
from tests.factories import create_project, import_results, long_csv, save_revision


@pytest.fixture
def project(alice):
    return create_project(
        owner=alice,
        title="Ticket router",
        success_metric="val/accuracy",
        success_target=0.9,
        success_direction="higher",
    )


def _import(project, name: str, series: dict) -> None:
    imp = import_results(project, (name, long_csv(series)))
    assert imp.status == "succeeded", imp.message


def _run_url(project, name: str) -> str:
    return Run.objects.get(project=project, name=name).get_absolute_url()


def _page(client, project) -> str:
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_the_project_page_shows_the_best_run_passing_the_target(alice_client, project):
    _import(
        project,
        "sweep.csv",
        {
            ("baseline", "val/accuracy"): [0.5, 0.87],
            ("wide", "val/accuracy"): [0.6, 0.912, 0.905],
            ("wide", "val/loss"): [0.9, 0.3],
        },
    )

    page = _page(alice_client, project)

    assert '<span class="badge met">Pass</span>' in page
    assert (
        f'Best: run <a href="{_run_url(project, "wide")}">wide</a>, val/accuracy '
        "<strong>0.912</strong> – target ≥ 0.9 met"
    ) in page


def test_the_project_page_shows_a_best_run_that_falls_short(alice_client, project):
    _import(project, "short.csv", {("baseline", "val/accuracy"): [0.5, 0.87, 0.8]})

    page = _page(alice_client, project)

    assert '<span class="badge unmet">Fail</span>' in page
    assert "<strong>0.87</strong> – target ≥ 0.9 not met" in page
    assert "Pass</span>" not in page


def test_lower_is_better_judges_the_lowest_value(alice_client, alice):
    project = create_project(
        owner=alice,
        success_metric="val/loss",
        success_target=0.25,
        success_direction="lower",
    )
    _import(
        project,
        "loss.csv",
        {("a", "val/loss"): [0.9, 0.24, 0.4], ("b", "val/loss"): [0.8, 0.3]},
    )

    page = _page(alice_client, project)

    assert "Pass</span>" in page
    assert f'<a href="{_run_url(project, "a")}">a</a>, val/loss <strong>0.24</strong>' in page
    assert "target ≤ 0.25 met" in page


def test_without_runs_of_the_metric_it_says_so(alice_client, project):
    _import(project, "other.csv", {("a", "train/loss"): [0.9, 0.3]})

    page = _page(alice_client, project)

    assert "No runs with this metric yet." in page
    assert "Pass</span>" not in page
    assert "Fail</span>" not in page


def test_a_metric_without_a_target_shows_the_best_run_without_a_verdict(alice_client, alice):
    project = create_project(owner=alice, success_metric="f1")
    _import(project, "f1.csv", {("a", "f1"): [0.4, 0.6]})

    page = _page(alice_client, project)

    assert f'Best: run <a href="{_run_url(project, "a")}">a</a>, f1 <strong>0.6</strong>' in page
    assert "Pass</span>" not in page
    assert "Fail</span>" not in page


def test_a_record_without_a_success_metric_shows_no_card(alice_client, alice):
    project = create_project(owner=alice)

    page = _page(alice_client, project)

    assert "Success metric" not in page


def test_an_old_revision_shows_its_metric_but_not_the_runs(alice_client, project):
    _import(project, "good.csv", {("a", "val/accuracy"): [0.95]})
    save_revision(project, success_target=0.99)

    response = alice_client.get(reverse("projects:revision", args=[project.slug, 1]))

    page = response.content.decode()
    assert "target 0.9" in page
    assert 'data-testid="success-best"' not in page
    current = _page(alice_client, project)
    assert "target ≥ 0.99 not met" in current


def test_the_best_run_is_found_in_one_query(project, django_assert_num_queries):
    _import(
        project,
        "many.csv",
        {(f"run{i}", "val/accuracy"): [0.1 * (i % 10), 0.05] for i in range(40)},
    )
    project.refresh_from_db()
    revision = project.current_revision

    with django_assert_num_queries(1):
        check = targets.project_success(project=project, revision=revision)

    assert check.best.value == pytest.approx(0.9)
    assert check.best.name == "run9"  # ties go to the older run
    assert check.met is True


def test_runs_whose_metric_has_no_finite_value_are_skipped(project):
    _import(
        project,
        "gaps.csv",
        {("empty", "val/accuracy"): ["nan", "nan"], ("ok", "val/accuracy"): [0.3]},
    )

    best = targets.best_run(project=project, metric="val/accuracy", comparison=">=")

    assert best.name == "ok"


def test_the_best_run_ignores_another_projects_runs(alice, project):
    other = create_project(owner=alice, success_metric="val/accuracy")
    _import(other, "other.csv", {("elsewhere", "val/accuracy"): [0.99]})

    assert targets.best_run(project=project, metric="val/accuracy", comparison=">=") is None


def test_an_unknown_comparison_is_a_programming_error(project):
    with pytest.raises(ValueError):
        targets.best_run(project=project, metric="val/accuracy", comparison="==")


def test_the_project_page_is_the_owners_only(client, alice_client, bob, project):
    url = project.get_absolute_url()

    assert alice_client.get(url).status_code == 200
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
