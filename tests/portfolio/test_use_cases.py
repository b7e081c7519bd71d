"""Use cases that touch more than one thing are one service in one transaction: a failure in a
later step leaves nothing of an earlier one, and what mentors are told follows the saved state."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from milestones import services as milestone_services
from milestones.models import Milestone
from outbox.models import OutboxTask
from portfolio.mentoring import mentorships
from portfolio.mentoring.mentorships import invitation_create, mentorship_accept, mentorship_invite
from portfolio.models import Mentorship, MentorshipEvent, Notification
from projects.services import project_edit
from tests.factories import GoalFactory, MilestoneFactory, create_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentor(alice, bob):
    """bob mentors alice."""
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    return bob


# --- Invitation and its email ------------------------------------------------------------------


def test_an_emailed_invitation_is_the_invitation_its_email_and_its_audit_line(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, link = invitation_create(
            engineer=alice, email="mentor@example.com", note="Hi", site_url="https://cairn.test/"
        )

    assert link.startswith("https://cairn.test/mentoring/accept/")
    assert [m.to for m in mail.outbox] == [["mentor@example.com"]]
    assert link in mail.outbox[0].body
    assert list(invitation.events.order_by("id").values_list("action", flat=True)) == [
        "invited",
        "emailed",
    ]


def test_an_email_that_cannot_be_queued_leaves_no_invitation(alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(mentorships, "send_task_safely", broken)

    with pytest.raises(RuntimeError):
        invitation_create(engineer=alice, email="mentor@example.com")

    assert not Mentorship.objects.exists()
    assert not MentorshipEvent.objects.exists()
    assert not OutboxTask.objects.exists()


def test_an_audit_line_that_cannot_be_written_leaves_no_invitation_and_no_email(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mentorships, "mentorship_record_email", broken)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        invitation_create(engineer=alice, email="mentor@example.com")

    assert not Mentorship.objects.exists()
    assert not OutboxTask.objects.exists()
    assert mail.outbox == []


def test_the_mentors_page_invites_through_the_one_service(
    alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("mentoring:mentors"), {"email": "mentor@example.com", "note": ""}
        )

    assert response.status_code == 302
    assert Mentorship.objects.count() == 1
    assert len(mail.outbox) == 1


# --- The milestone page ------------------------------------------------------------------------


def test_a_refused_field_undoes_the_status_change_and_tells_no_mentor(alice, bob, mentor):
    goal = GoalFactory(owner=alice, visibility="mentors")
    milestone = MilestoneFactory(goal=goal, status="in_progress")
    bobs_project = create_project(owner=bob)

    with pytest.raises(ValidationError):
        milestone_services.milestone_edit(
            milestone=milestone, status="done", target_project=bobs_project
        )

    milestone.refresh_from_db()
    assert milestone.status == "in_progress"
    assert milestone.done_at is None
    assert not Notification.objects.filter(recipient=mentor, kind="milestone").exists()


def test_a_milestone_edit_saves_status_and_fields_together(alice, mentor):
    goal = GoalFactory(owner=alice, visibility="mentors")
    milestone = MilestoneFactory(goal=goal, status="in_progress")

    saved = milestone_services.milestone_edit(
        milestone=milestone, status="done", title="Labelled 2,000 tickets"
    )

    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.status, stored.title) == ("done", "Labelled 2,000 tickets")
    assert stored.done_at is not None
    assert saved.status == "done"
    assert Notification.objects.filter(recipient=mentor, milestone=stored).count() == 1


def test_the_milestone_page_shows_a_refused_save_as_a_form_error(alice, alice_client, monkeypatch):
    goal = GoalFactory(owner=alice)
    milestone = MilestoneFactory(goal=goal, status="in_progress")

    def refuse(**kwargs):
        raise ValidationError({"title": "That title is taken by a ghost."})

    monkeypatch.setattr(milestone_services, "milestone_edit", refuse)

    response = alice_client.post(
        reverse("milestones:milestone", args=[milestone.pk]),
        {"title": "New", "status": "done", "evidence_url": "", "notes": ""},
    )

    assert response.status_code == 200
    assert "That title is taken by a ghost." in response.text
    milestone.refresh_from_db()
    assert milestone.status == "in_progress"


# --- The project edit page ---------------------------------------------------------------------


def _edit(project, *, visibility: str, **content):
    return project_edit(
        project=project,
        author=project.owner,
        base_number=project.current_revision.number,
        content=content,
        visibility=visibility,
    )


def test_a_project_shared_with_mentors_in_the_same_edit_tells_them_of_the_revision(alice, mentor):
    project = create_project(owner=alice, visibility="private")

    edit = _edit(project, visibility="mentors", results="AUC 0.91")

    assert Notification.objects.filter(recipient=mentor, revision=edit.revision).exists()


def test_a_project_made_private_in_the_same_edit_tells_mentors_nothing(alice, mentor):
    project = create_project(owner=alice, visibility="mentors")
    Notification.objects.all().delete()

    _edit(project, visibility="private", results="A private rethink.")

    assert not Notification.objects.filter(recipient=mentor).exists()
