"""The demo is built through the services and receivers users trigger: its notifications are
exactly the ones the rules produce, dated when their items happened."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from milestones.models import CheckIn, Milestone
from milestones.services import checkin_create
from portfolio.demo.seed import seed_demo
from portfolio.models import Comment, Mentorship, Notification
from projects.models import Project, ProjectRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    users = get_user_model().objects
    engineer, mentor = users.get(username="demo"), users.get(username="mentor")
    mentorship = Mentorship.objects.active().get(engineer=engineer, mentor=mentor)
    return engineer, mentor, mentorship.accepted_at


def _inbox(mentor) -> set[tuple]:
    rows = Notification.objects.filter(recipient=mentor, kind__in=Notification.INBOX_KINDS)
    return set(rows.values_list("kind", "checkin_id", "revision_id", "milestone_id"))


def test_the_mentors_inbox_is_what_the_rules_give_a_mentor_since_accepting(demo):
    engineer, mentor, since = demo
    checkins = CheckIn.objects.shared_with_mentors().filter(
        milestone__goal__owner=engineer, created_at__gte=since
    )
    revisions = ProjectRevision.objects.filter(
        project__in=Project.objects.shared_with_mentors().filter(owner=engineer),
        created_at__gte=since,
    )
    milestones = Milestone.objects.shared_with_mentors().filter(
        goal__owner=engineer, done_at__gte=since
    )
    expected = (
        {("checkin", pk, None, None) for pk in checkins.values_list("pk", flat=True)}
        | {("revision", None, pk, None) for pk in revisions.values_list("pk", flat=True)}
        | {("milestone", None, None, pk) for pk in milestones.values_list("pk", flat=True)}
    )

    assert checkins.exists() and revisions.exists() and milestones.exists()
    assert _inbox(mentor) == expected


def test_nothing_from_before_the_mentor_accepted_or_private_reaches_the_inbox(demo):
    engineer, mentor, since = demo
    inbox = Notification.objects.filter(recipient=mentor, kind__in=Notification.INBOX_KINDS)

    assert CheckIn.objects.filter(milestone__goal__owner=engineer, created_at__lt=since).exists()
    assert not inbox.filter(created_at__lt=since).exists()
    assert not inbox.filter(checkin__milestone__goal__visibility="private").exists()
    assert not inbox.filter(milestone__goal__visibility="private").exists()
    assert not inbox.filter(revision__project__visibility="private").exists()


def test_each_notification_is_dated_when_its_item_happened(demo):
    _, mentor, _ = demo
    mine = Notification.objects.filter(recipient=mentor).select_related(
        "checkin", "revision", "milestone"
    )

    for item in mine:
        if item.kind == "checkin":
            assert item.created_at == item.checkin.created_at
        elif item.kind == "revision":  # saved today, as the demo is seeded
            assert abs(item.created_at - item.revision.created_at) < datetime.timedelta(seconds=5)
        elif item.kind == "milestone":
            assert item.created_at == item.milestone.done_at


def test_the_engineer_hears_of_the_acceptance_and_the_mentors_comments(demo):
    engineer, mentor, since = demo
    alerts = Notification.objects.filter(recipient=engineer)

    assert alerts.get(kind="accepted").created_at == since
    threads = Comment.objects.filter(author=mentor, parent__isnull=True)
    assert threads.count() == 3
    assert set(alerts.filter(kind="comment").values_list("comment_id", flat=True)) == set(
        threads.values_list("pk", flat=True)
    )


def test_the_demo_mentorship_is_live_so_a_new_check_in_reaches_the_mentor(demo):
    engineer, mentor, _ = demo
    milestone = Milestone.objects.shared_with_mentors().filter(goal__owner=engineer).first()
    before = _inbox(mentor)

    checkin = checkin_create(milestone=milestone, author=engineer, progress=80)

    assert _inbox(mentor) - before == {("checkin", checkin.pk, None, None)}


def test_seeding_again_adds_no_notification(demo):
    count = Notification.objects.count()

    seed_demo()

    assert Notification.objects.count() == count
