"""A shared milestone whose metric target is on a private project completes by itself, and names
nothing of that project (run, value, file, slug) to anyone but its owner: not on the mentor's
milestone page, the inbox, the notifications page or the digest email."""

from __future__ import annotations

import pytest
from django.urls import reverse

from milestones import services
from milestones.models import CheckIn
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from portfolio.mentoring.notifications import digest_send
from portfolio.models import NotifyChoice
from projects.models import ImportStatus, Run
from tests.factories import GoalFactory, create_project, import_results, long_csv

SECRET_RUN = "stealth-transformer-7"
SECRET_FILE = "acquisition-target-sweep.csv"
SECRET_VALUE = "0.9731"


@pytest.fixture
def mentor(alice, bob):
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    bob.profile.email_notifications = NotifyChoice.DAILY
    bob.profile.save()
    return bob


def _done_by_import(alice, *, visibility: str):
    project = create_project(owner=alice, title="Secret acquisition model", visibility=visibility)
    goal = GoalFactory(owner=alice, year=2026, quarter=4, visibility="mentors")
    milestone = services.milestone_create(
        goal=goal,
        title="Reach 95% accuracy",
        target_project=project,
        target_metric="val/accuracy",
        target_comparison=">=",
        target_threshold=0.95,
    )
    content = long_csv({(SECRET_RUN, "val/accuracy"): [0.5, float(SECRET_VALUE)]})
    imp = import_results(project, (SECRET_FILE, content))
    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    milestone.refresh_from_db()
    assert milestone.status == "done"
    return project, milestone


def _secrets(project) -> list[str]:
    run = Run.objects.get(project=project)
    return [
        SECRET_RUN,
        SECRET_FILE,
        SECRET_VALUE,
        project.slug,
        project.title,
        run.get_absolute_url(),
    ]


def _leaked(text: str, project) -> list[str]:
    return [secret for secret in _secrets(project) if secret in text]


def test_the_owner_reads_the_whole_automatic_check_in(alice, alice_client, mentor):
    _, milestone = _done_by_import(alice, visibility="private")

    response = alice_client.get(milestone.get_absolute_url())

    assert response.status_code == 200
    assert SECRET_RUN in response.text and SECRET_VALUE in response.text


def test_a_mentor_reads_that_the_target_was_met_and_nothing_of_the_private_project(
    alice, mentor, client, mailoutbox
):
    project, milestone = _done_by_import(alice, visibility="private")
    client.force_login(mentor)

    page = client.get(reverse("mentoring:milestone", args=["alice", milestone.pk]))
    inbox = client.get(reverse("mentoring:dashboard"))
    notifications = client.get(reverse("mentoring:notifications"))
    digest_send(user=mentor)

    assert page.status_code == 200
    assert "Done automatically: a run met this milestone" in page.text
    assert "Reach 95% accuracy" in inbox.text
    assert _leaked(page.text, project) == []
    assert _leaked(inbox.text, project) == []
    assert _leaked(notifications.text, project) == []
    assert len(mailoutbox) == 1
    assert _leaked(mailoutbox[0].body, project) == []
    assert "Done automatically: a run met this milestone" in mailoutbox[0].body


def test_a_mentor_reads_the_whole_note_when_the_project_is_shared_with_mentors(
    alice, mentor, client
):
    _, milestone = _done_by_import(alice, visibility="mentors")
    client.force_login(mentor)

    page = client.get(reverse("mentoring:milestone", args=["alice", milestone.pk]))

    assert SECRET_RUN in page.text and SECRET_VALUE in page.text
    assert 'target="_blank">Evidence</a>' in page.text


def test_making_the_project_private_later_hides_what_the_note_named(alice, mentor, client):
    project, milestone = _done_by_import(alice, visibility="mentors")
    project.visibility = "private"
    project.save()
    client.force_login(mentor)

    page = client.get(reverse("mentoring:milestone", args=["alice", milestone.pk]))

    assert _leaked(page.text, project) == []
    assert CheckIn.objects.get(milestone=milestone, automatic=True).about_project == project


def test_the_milestone_form_says_a_private_project_is_named_to_the_owner_alone(alice, alice_client):
    create_project(owner=alice, title="Secret acquisition model", visibility="private")
    goal = GoalFactory(owner=alice, year=2026, quarter=4)

    response = alice_client.get(reverse("milestones:milestone-create", args=[goal.pk]))

    assert "Secret acquisition model (private: named to you alone)" in response.text
    assert "never the project, the run, its value or its file" in response.text
