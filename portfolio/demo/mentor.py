"""The demo engineer's mentor (mentor/mentor): invited and accepted through the mentorship
services at a moment in the demo's past, then a few threads of feedback through the comment
services. Their inbox is filled by the receivers, as the demo's story replays."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

from milestones.models import Milestone
from projects.models import Project, Visibility

from ..mentoring.comments import comment_on_milestone, comment_on_revision, comment_reply
from ..mentoring.mentorships import mentorship_accept, mentorship_invite
from ..models import Mentorship, Notification, Profile

MENTOR_USERNAME = "mentor"
MENTOR_PASSWORD = "mentor"  # noqa: S105 - a documented demo login, refused in production


def demo_mentor():
    """The mentor's account and profile, made once."""
    mentor, created = get_user_model().objects.get_or_create(
        username=MENTOR_USERNAME, defaults={"email": "mentor@cairn.localhost"}
    )
    if created:
        mentor.set_password(MENTOR_PASSWORD)
        mentor.save()
    Profile.objects.get_or_create(
        user=mentor,
        defaults={
            "slug": "mentor",
            "display_name": "Morgan Mentor",
            "headline": "Staff ML engineer · mentoring on evaluation and MLOps",
        },
    )
    return mentor


def mentor_accepts(*, engineer, mentor, at: datetime.datetime) -> bool:
    """The engineer invites the mentor and the mentor accepts, dated at; False when they
    already did (the demo was seeded before)."""
    if Mentorship.objects.filter(engineer=engineer, mentor=mentor).exists():
        return False
    _, token = mentorship_invite(engineer=engineer, note="Would love your eyes on my evaluation.")
    mentorship = mentorship_accept(token=token, mentor=mentor)
    Mentorship.objects.filter(pk=mentorship.pk).update(created_at=at, accepted_at=at)
    mentorship.events.update(at=at)
    Notification.objects.filter(mentorship=mentorship).update(created_at=at)
    return True


def mentor_feedback(*, engineer, mentor) -> None:
    """A few threads: on a mentors-only project's first and current revisions, and on the
    check-in of a milestone the engineer shares with mentors."""
    project = Project.objects.filter(owner=engineer, visibility=Visibility.MENTORS).first()
    if project is not None:
        first = project.revisions.order_by("number").first()
        current = project.current_revision
        if first.problem:
            old = comment_on_revision(
                author=mentor,
                revision=first,
                section="problem",
                body="Say which number you are trying to reproduce, and from which table.",
            )
            comment_reply(author=engineer, thread=old, body="Good call: added Table 2's figure.")
        comment_on_revision(
            author=mentor,
            revision=current,
            section="evaluation" if current.evaluation else "",
            body="How many seeds per arm? One run each will not separate 1.5 points.",
        )
    milestone = (
        Milestone.objects.shared_with_mentors()
        .filter(goal__owner=engineer, checkins__isnull=False)
        .order_by("-updated_at")
        .first()
    )
    if milestone is not None:
        comment_on_milestone(
            author=mentor,
            milestone=milestone,
            checkin=milestone.checkins.first(),
            body="Nice progress. What is blocking the last part?",
        )
