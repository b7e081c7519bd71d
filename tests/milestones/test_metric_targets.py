"""Milestones with a metric target: done by themselves when an import brings a run that meets it."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from milestones import services, target_services
from milestones.links import validate_evidence_link
from milestones.models import CheckIn, Milestone
from projects import imports
from projects.models import ImportStatus, Run
from projects.signals import import_deleting, import_succeeded
from tests.factories import GoalFactory, create_project, import_results, long_csv


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Ticket router")


def _csv(**runs: list[float]) -> bytes:
    """A long CSV with one metric, val/accuracy, for each run given."""
    return long_csv({(name, "val/accuracy"): values for name, values in runs.items()})


def _import(project, name: str, content: bytes):
    imp = import_results(project, (name, content))
    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    return imp


def _targeted(goal, project, *, metric="val/accuracy", comparison=">=", threshold=0.9, **kw):
    return services.milestone_create(
        goal=goal,
        title=kw.pop("title", "Reach 90% validation accuracy"),
        target_project=project,
        target_metric=metric,
        target_comparison=comparison,
        target_threshold=threshold,
        **kw,
    )


def _run(project, name: str) -> Run:
    return Run.objects.get(project=project, name=name)


# --- Completing through the real import path ---------------------------------------------


def test_an_import_with_a_run_that_meets_the_target_completes_the_milestone(goal, project):
    milestone = _targeted(goal, project)
    assert milestone.status == "planned"

    imp = _import(project, "sweep.csv", _csv(baseline=[0.5, 0.8, 0.85], wide=[0.6, 0.93, 0.912]))

    milestone.refresh_from_db()
    wide = _run(project, "wide")
    assert milestone.status == "done"
    assert milestone.done_at is not None
    assert milestone.evidence_run == wide
    assert milestone.evidence_url == wide.get_absolute_url()
    checkin = milestone.checkins.get()
    assert checkin.automatic
    assert checkin.progress == 100
    assert checkin.author == goal.owner
    assert checkin.note == (
        "Done automatically: run wide reached val/accuracy 0.93 (target ≥ 0.9) "
        f"in import {imp.original_name}."
    )


def test_an_import_that_falls_short_leaves_the_milestone_open(goal, project):
    milestone = _targeted(goal, project)

    _import(project, "short.csv", _csv(baseline=[0.5, 0.89, 0.88]))

    milestone.refresh_from_db()
    assert milestone.status == "planned"
    assert milestone.evidence_run is None
    assert not milestone.checkins.exists()


def test_a_run_of_another_metric_does_not_complete_it(goal, project):
    milestone = _targeted(goal, project, metric="test/accuracy")

    _import(project, "val.csv", _csv(a=[0.99]))

    milestone.refresh_from_db()
    assert milestone.status == "planned"


@pytest.mark.parametrize(
    ("comparison", "threshold", "values", "met"),
    [
        (">=", 0.9, [0.5, 0.9, 0.7], True),  # the best (max) counts, not the last
        (">", 0.9, [0.5, 0.9], False),
        (">", 0.9, [0.5, 0.95], True),
        ("<=", 0.2, [0.9, 0.2, 0.4], True),  # the lowest value counts for <= and <
        ("<", 0.2, [0.9, 0.2], False),
        ("<", 0.2, [0.9, 0.19, 0.4], True),
        ("<=", 0.2, [0.9, 0.21], False),
        (">=", 0.9, [0.1, 0.89], False),
    ],
)
def test_each_comparison_judges_the_runs_best_value_in_its_direction(
    goal, project, comparison, threshold, values, met
):
    milestone = _targeted(
        goal, project, metric="val/loss", comparison=comparison, threshold=threshold
    )

    _import(project, "loss.csv", long_csv({("r1", "val/loss"): values}))

    milestone.refresh_from_db()
    assert (milestone.status == "done") is met


def test_only_open_milestones_of_the_projects_owner_that_target_it_complete(
    alice, bob, goal, project
):
    other_project = create_project(owner=alice, title="Other")
    target_here = _targeted(goal, project, title="Here")
    target_elsewhere = _targeted(goal, other_project, title="Elsewhere")
    dropped = _targeted(goal, project, title="Dropped")
    services.milestone_set_status(milestone=dropped, status="dropped")
    bobs_goal = GoalFactory(owner=bob)
    bobs_project = create_project(owner=bob, title="Bob's")
    bobs = _targeted(bobs_goal, bobs_project, title="Bob's")

    _import(project, "good.csv", _csv(a=[0.95]))

    statuses = dict(Milestone.objects.values_list("title", "status"))
    assert statuses == {
        "Here": "done",
        "Elsewhere": "planned",
        "Dropped": "dropped",
        "Bob's": "planned",
    }
    assert not bobs.checkins.exists()
    assert not target_elsewhere.checkins.exists()
    assert target_here.checkins.count() == 1


def test_a_milestone_cannot_target_another_users_project(bob, goal):
    bobs_project = create_project(owner=bob, title="Bob's")

    with pytest.raises(ValidationError):
        _targeted(goal, bobs_project)

    assert not Milestone.objects.exists()


def test_a_milestone_done_already_is_left_as_it_was(goal, project):
    milestone = _targeted(goal, project)
    services.milestone_set_status(
        milestone=milestone, status="done", evidence_url="https://example.com/pr/1"
    )

    _import(project, "good.csv", _csv(a=[0.95]))

    milestone.refresh_from_db()
    assert milestone.evidence_url == "https://example.com/pr/1"
    assert milestone.evidence_run is None
    assert not milestone.checkins.exists()


# --- At save time --------------------------------------------------------------------------


def test_a_target_that_a_run_already_meets_completes_the_milestone_when_created(goal, project):
    imp = _import(project, "good.csv", _csv(a=[0.5, 0.91], b=[0.95]))

    milestone = _targeted(goal, project)

    assert milestone.status == "done"
    assert milestone.evidence_run == _run(project, "b")
    assert milestone.checkins.get().note == (
        "Done automatically: run b reached val/accuracy 0.95 (target ≥ 0.9) "
        f"in import {imp.original_name}."
    )


def test_setting_a_target_later_completes_it_when_a_run_already_meets_it(goal, project):
    _import(project, "good.csv", _csv(a=[0.91]))
    milestone = services.milestone_create(goal=goal, title="No target yet")
    services.milestone_update(milestone=milestone, title="Renamed")
    assert milestone.status == "planned"

    services.milestone_update(
        milestone=milestone,
        target_project=project,
        target_metric="val/accuracy",
        target_comparison=">=",
        target_threshold=0.95,
    )
    assert milestone.status == "planned"  # 0.91 falls short of 0.95

    services.milestone_update(milestone=milestone, target_threshold=0.9)
    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.evidence_run == _run(project, "a")


def test_a_reopened_milestone_stays_open_until_its_target_changes(goal, project):
    _import(project, "good.csv", _csv(a=[0.91]))
    milestone = _targeted(goal, project)
    assert milestone.status == "done"

    services.milestone_set_status(milestone=milestone, status="in_progress")
    services.milestone_update(milestone=milestone, title="Still working on it")

    milestone.refresh_from_db()
    assert milestone.status == "in_progress"
    assert milestone.evidence_run is None  # a reopened milestone has no run as evidence


def test_the_database_refuses_half_a_target(goal, project):
    milestone = services.milestone_create(goal=goal, title="Plain")

    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(target_metric="val/accuracy")
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(
            target_metric="val/accuracy", target_comparison="~", target_threshold=1
        )


# --- Deleting the evidence import ----------------------------------------------------------


def test_deleting_the_evidence_import_reopens_the_milestone_with_a_note(
    alice_client, goal, project
):
    milestone = _targeted(goal, project)
    imp = _import(project, "lucky.csv", _csv(lucky=[0.4, 0.92]))
    _import(project, "later.csv", _csv(later=[0.88]))
    milestone.refresh_from_db()
    assert milestone.status == "done"

    response = alice_client.post(reverse("projects:import-delete", args=[project.slug, imp.pk]))

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == "in_progress"
    assert milestone.done_at is None
    assert milestone.evidence_run is None
    assert milestone.evidence_url == ""
    note = milestone.checkins.first()
    assert note.automatic
    assert note.note == (
        "Reopened automatically: evidence import lucky.csv (run lucky) was deleted, and no "
        "remaining run reaches val/accuracy ≥ 0.9. Best remaining: run later at 0.88."
    )
    page = alice_client.get(milestone.get_absolute_url()).content.decode()
    assert "evidence import lucky.csv (run lucky) was deleted" in page
    assert "Best so far:" in page


def test_deleting_the_evidence_import_switches_to_another_run_that_still_meets_it(goal, project):
    milestone = _targeted(goal, project)
    first = _import(project, "first.csv", _csv(first=[0.91]))
    _import(project, "second.csv", _csv(second=[0.5, 0.94], weak=[0.7]))
    milestone.refresh_from_db()
    assert milestone.evidence_run == _run(project, "first")

    imports.import_delete(experiment_import=first)

    milestone.refresh_from_db()
    second = _run(project, "second")
    assert milestone.status == "done"
    assert milestone.evidence_run == second
    assert milestone.evidence_url == second.get_absolute_url()
    assert milestone.checkins.first().note == (
        "Evidence import first.csv was deleted; run second still reaches val/accuracy 0.94 "
        "(target ≥ 0.9), so it is the evidence now (from import second.csv)."
    )


def test_deleting_another_import_leaves_the_milestone_alone(goal, project):
    milestone = _targeted(goal, project)
    _import(project, "good.csv", _csv(good=[0.95]))
    other = _import(project, "other.csv", _csv(other=[0.3]))

    imports.import_delete(experiment_import=other)

    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.checkins.count() == 1


def test_deleting_the_import_of_a_milestone_done_by_hand_only_drops_the_run_link(goal, project):
    milestone = _targeted(goal, project)
    imp = _import(project, "good.csv", _csv(good=[0.95]))
    services.milestone_set_status(milestone=milestone, status="in_progress")
    services.milestone_set_status(
        milestone=milestone, status="done", evidence_url="https://example.com/report"
    )

    imports.import_delete(experiment_import=imp)

    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.evidence_url == "https://example.com/report"


# --- Failures stay with the milestones -----------------------------------------------------


def test_a_failing_receiver_does_not_fail_the_import(goal, project, monkeypatch, caplog):
    milestone = _targeted(goal, project)

    def broken(**kwargs):
        raise RuntimeError("milestones are down")

    monkeypatch.setattr(target_services, "milestones_complete_from_import", broken)
    with caplog.at_level(logging.ERROR):
        imp = import_results(project, ("good.csv", _csv(a=[0.95])))

    assert imp.status == ImportStatus.SUCCEEDED
    assert imp.runs.count() == 1
    milestone.refresh_from_db()
    assert milestone.status == "planned"
    assert "milestones are down" in caplog.text


def test_a_receiver_that_breaks_the_database_leaves_the_import_whole(goal, project):
    def bad_sql(sender, experiment_import, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    import_succeeded.connect(bad_sql, dispatch_uid="test-bad-sql")
    import_deleting.connect(bad_sql, dispatch_uid="test-bad-sql")
    try:
        imp = import_results(project, ("good.csv", _csv(a=[0.95])))
        assert imp.status == ImportStatus.SUCCEEDED
        assert Run.objects.filter(project=project).count() == 1

        imports.import_delete(experiment_import=imp)
        assert not Run.objects.filter(project=project).exists()
    finally:
        import_succeeded.disconnect(dispatch_uid="test-bad-sql")
        import_deleting.disconnect(dispatch_uid="test-bad-sql")


def test_a_failing_release_does_not_stop_the_delete(goal, project, monkeypatch):
    _targeted(goal, project)
    imp = _import(project, "good.csv", _csv(a=[0.95]))

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(target_services, "milestones_release_import", broken)
    imports.import_delete(experiment_import=imp)

    assert not project.imports.exists()


def test_one_broken_milestone_does_not_stop_the_others(goal, project, monkeypatch):
    first = _targeted(goal, project, title="First")
    second = _targeted(goal, project, title="Second")
    real = target_services._complete

    def complete(milestone, run):
        if milestone.pk == first.pk:
            raise RuntimeError("this one is broken")
        real(milestone, run)

    monkeypatch.setattr(target_services, "_complete", complete)
    _import(project, "good.csv", _csv(a=[0.95]))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "planned"
    assert not first.checkins.exists()
    assert second.status == "done"


# --- The forms -----------------------------------------------------------------------------


def _new_url(goal) -> str:
    return reverse("milestones:milestone-create", args=[goal.pk])


def test_the_target_project_select_lists_only_the_owners_projects(alice_client, bob, goal, project):
    create_project(owner=bob, title="Bob's secret project")

    page = alice_client.get(_new_url(goal)).content.decode()

    assert "Complete automatically when a run reaches" in page
    assert (
        f'<option value="{project.pk}">Ticket router (private: named to you alone)</option>' in page
    )
    assert "Bob&#x27;s secret project" not in page
    assert "Bob's secret project" not in page


def test_the_metric_field_suggests_the_projects_metric_keys(alice_client, goal, project):
    _import(project, "keys.csv", long_csv({("a", "val/accuracy"): [0.1], ("a", "loss"): [1]}))

    page = alice_client.get(_new_url(goal)).content.decode()

    assert f'<datalist id="target-metrics-{project.pk}">' in page
    assert '<option value="val/accuracy"></option>' in page
    assert '<option value="loss"></option>' in page
    assert 'list="target-metrics-all"' in page


def test_the_form_refuses_someone_elses_project_and_keeps_what_was_typed(alice_client, bob, goal):
    bobs_project = create_project(owner=bob, title="Bob's")

    response = alice_client.post(
        _new_url(goal),
        {
            "title": "Sneaky target",
            "due_date": "2026-12-20",
            "target_project": bobs_project.pk,
            "target_metric": "val/f1",
            "target_comparison": ">",
            "target_threshold": "0.8",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert 'value="Sneaky target"' in page
    assert 'value="val/f1"' in page
    assert 'value="0.8"' in page
    assert '<option value="&gt;" selected>' in page
    assert not Milestone.objects.exists()


def test_half_a_target_is_refused_with_a_message_on_each_missing_field(alice_client, goal, project):
    response = alice_client.post(_new_url(goal), {"title": "Half", "target_metric": "val/accuracy"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose the project whose runs count." in page
    assert "Choose how the value compares." in page
    assert "Give the number to reach." in page
    assert 'value="val/accuracy"' in page
    assert '<details class="target-fields" data-target-fields open>' in page
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("threshold", ["abc", "nan", "inf", "1e999"])
def test_a_threshold_that_is_not_a_number_is_refused(alice_client, goal, project, threshold):
    response = alice_client.post(
        _new_url(goal),
        {
            "title": "Odd",
            "target_project": project.pk,
            "target_metric": "val/accuracy",
            "target_comparison": ">=",
            "target_threshold": threshold,
        },
    )

    assert response.status_code == 200
    assert "has-error" in response.content.decode()
    assert not Milestone.objects.exists()


def test_an_unknown_comparison_is_refused(alice_client, goal, project):
    response = alice_client.post(
        _new_url(goal),
        {
            "title": "Odd",
            "target_project": project.pk,
            "target_metric": "val/accuracy",
            "target_comparison": "==",
            "target_threshold": "1",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Milestone.objects.exists()


def test_creating_a_milestone_with_a_target_through_the_form(alice_client, goal, project):
    response = alice_client.post(
        _new_url(goal),
        {
            "title": "Accuracy 90",
            "target_project": project.pk,
            "target_metric": " val/accuracy ",
            "target_comparison": ">=",
            "target_threshold": "0.9",
        },
    )

    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert (milestone.target_project, milestone.target_metric) == (project, "val/accuracy")
    assert (milestone.target_comparison, milestone.target_threshold) == (">=", 0.9)
    assert milestone.status == "planned"


def test_the_quarter_page_marks_a_milestone_that_carries_a_target(alice_client, goal, project):
    _targeted(goal, project, title="Reach 90%")
    services.milestone_create(goal=goal, title="Read a paper")

    response = alice_client.get(reverse("milestones:quarter", args=[2026, 4]))

    assert response.status_code == 200
    assert response.text.count('class="target-mark"') == 1
    assert "target val/accuracy ≥ 0.9</span>" in response.text


def test_creating_without_a_target_still_works_from_the_quarter_page(alice_client, goal):
    response = alice_client.post(_new_url(goal), {"title": "Plain step"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    milestone = Milestone.objects.get()
    assert milestone.title == "Plain step"
    assert not milestone.has_target


def test_setting_a_met_target_on_the_edit_form_completes_it_and_says_so(
    alice_client, goal, project
):
    _import(project, "good.csv", _csv(good=[0.97]))
    milestone = services.milestone_create(goal=goal, title="Edit me")

    response = alice_client.post(
        milestone.get_absolute_url(),
        {
            "title": "Edit me",
            "status": "planned",
            "target_project": project.pk,
            "target_metric": "val/accuracy",
            "target_comparison": ">",
            "target_threshold": "0.95",
        },
        follow=True,
    )

    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.evidence_run == _run(project, "good")
    page = response.content.decode()
    assert "a run already meets its target" in page
    assert "Met by" in page
    assert "Done automatically: run good reached val/accuracy 0.97 (target &gt; 0.95)" in page
    assert 'class="badge automatic"' in page


def test_clearing_the_target_on_the_edit_form_removes_it(alice_client, goal, project):
    milestone = _targeted(goal, project)

    response = alice_client.post(
        milestone.get_absolute_url(),
        {
            "title": milestone.title,
            "status": "planned",
            "target_project": "",
            "target_metric": "",
            "target_comparison": "",
            "target_threshold": "",
        },
    )

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert not milestone.has_target
    assert milestone.target_project is None


def test_the_edit_form_keeps_an_automatic_evidence_path(alice_client, goal, project):
    _import(project, "good.csv", _csv(good=[0.97]))
    milestone = _targeted(goal, project)
    url = milestone.evidence_url
    assert url.startswith("/")

    response = alice_client.post(
        milestone.get_absolute_url(),
        {
            "title": "Renamed",
            "status": "done",
            "evidence_url": url,
            "target_project": project.pk,
            "target_metric": "val/accuracy",
            "target_comparison": ">=",
            "target_threshold": "0.9",
        },
    )

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.evidence_url, milestone.status) == ("Renamed", url, "done")


@pytest.mark.parametrize("link", ["javascript:alert(1)", "not a url", "/\\evil.example"])
def test_the_evidence_link_refuses_what_is_not_a_web_address_or_a_path_here(
    alice_client, goal, link
):
    milestone = services.milestone_create(goal=goal, title="Links")

    response = alice_client.post(
        milestone.get_absolute_url(), {"title": "Links", "status": "planned", "evidence_url": link}
    )

    assert response.status_code == 200
    text = response.content.decode()
    if link.startswith("/"):
        assert "A path on this site starts with one “/”" in text
    else:
        assert "Enter a valid URL." in text
    milestone.refresh_from_db()
    assert milestone.evidence_url == ""


def test_a_stored_evidence_link_is_a_web_address_or_a_path_on_this_site():
    validate_evidence_link("https://github.com/alice/pr/1")
    validate_evidence_link("/projects/router/runs/3/")
    for bad in ("//evil.example/x", "javascript:alert(1)", "ftp://example.com/x", "runs/3"):
        with pytest.raises(ValidationError):
            validate_evidence_link(bad)


# --- The milestone page --------------------------------------------------------------------


def test_the_milestone_page_shows_a_target_not_met_yet_with_the_best_so_far(
    alice_client, goal, project
):
    _import(project, "short.csv", _csv(close=[0.5, 0.88]))
    milestone = _targeted(goal, project)

    page = alice_client.get(milestone.get_absolute_url()).content.decode()

    assert "Metric target" in page
    assert "Not yet" in page
    assert "<code>val/accuracy</code> ≥ <strong>0.9</strong>" in page
    assert "Best so far:" in page
    assert f'<a href="{_run(project, "close").get_absolute_url()}">close</a>' in page
    assert "0.88" in page


def test_the_milestone_page_shows_the_met_target_and_its_evidence_run(alice_client, goal, project):
    milestone = _targeted(goal, project)
    _import(project, "good.csv", _csv(good=[0.93]))

    page = alice_client.get(milestone.get_absolute_url()).content.decode()

    run_url = _run(project, "good").get_absolute_url()
    assert '<span class="badge met">Met</span>' in page
    assert "Met by" in page
    assert f'Evidence: run <a href="{run_url}">good</a>' in page
    assert f'<a href="{project.get_absolute_url()}">Ticket router</a>' in page


def test_the_milestone_page_without_runs_of_the_metric_says_so(alice_client, goal, project):
    milestone = _targeted(goal, project)

    page = alice_client.get(milestone.get_absolute_url()).content.decode()

    assert "No run of this project has <code>val/accuracy</code> yet." in page


def test_a_target_whose_project_was_deleted_says_so(alice_client, goal, project):
    milestone = _targeted(goal, project)
    project.delete()

    page = alice_client.get(milestone.get_absolute_url()).content.decode()

    milestone.refresh_from_db()
    assert milestone.target_project is None
    assert "its project was deleted" in page


def test_the_milestone_page_of_a_targeted_milestone_is_the_owners_only(
    client, alice_client, bob, goal, project
):
    milestone = _targeted(goal, project)
    url = milestone.get_absolute_url()

    assert alice_client.get(url).status_code == 200
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "Hijack", "status": "done"}).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert CheckIn.objects.count() == 0
