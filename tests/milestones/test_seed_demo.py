from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from milestones.models import CheckIn, Milestone, QuarterlyGoal
from portfolio.models import Profile

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "profiles": Profile.objects.count(),
        "goals": QuarterlyGoal.objects.count(),
        "milestones": Milestone.objects.count(),
        "checkins": CheckIn.objects.count(),
    }


def test_it_creates_the_demo_engineer_with_the_documented_password():
    output = _seed()

    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo")
    assert "demo / demo" in output


def test_it_gives_the_demo_engineer_a_public_profile():
    _seed()

    profile = Profile.objects.get(user__username="demo")
    assert profile.slug == "demo"
    assert profile.is_public


def test_it_plans_goals_across_five_quarters_with_milestones_and_checkins():
    _seed()

    goals = QuarterlyGoal.objects.filter(owner__username="demo")
    quarters = set(goals.values_list("year", "quarter"))
    # Three quarters back from today's (2026 Q4), today's, and one ahead.
    assert quarters == {(2026, 1), (2026, 2), (2026, 3), (2026, 4), (2027, 1)}
    assert all(goal.milestones.exists() for goal in goals)
    assert CheckIn.objects.filter(milestone__goal__owner__username="demo").exists()
    done = Milestone.objects.filter(status="done")
    assert done.exists()
    assert not done.filter(done_at__isnull=True).exists()
    assert not CheckIn.objects.filter(milestone__goal__year=2027).exists()


def test_it_creates_nothing_more_when_run_twice():
    _seed()
    first = _counts()

    output = _seed()

    assert _counts() == first
    assert "0 goals, 0 milestones, 0 check-ins, 0 projects and 0 imports added" in output


def test_it_lets_the_demo_engineer_log_in_and_see_this_quarters_plan(client):
    _seed()

    response = client.post(reverse("login"), {"username": "demo", "password": "demo"})

    assert response.status_code == 302
    assert response["Location"] == reverse("milestones:plan")
    page = client.get(reverse("milestones:plan"), follow=True)
    assert page.redirect_chain == [(reverse("milestones:quarter", args=[2026, 4]), 302)]
    for title in QuarterlyGoal.objects.filter(year=2026, quarter=4).values_list("title", flat=True):
        assert title in page.text
    assert "Fine-tune a small language model for support tickets" in page.text
    assert "Distributed training" not in page.text  # next quarter's goal


def test_it_gives_the_demo_engineer_a_mentor_with_an_inbox_and_feedback():
    from portfolio.models import Comment, Mentorship, Notification

    output = _seed()

    mentor = get_user_model().objects.get(username="mentor")
    assert mentor.check_password("mentor")
    assert "mentor / mentor" in output
    assert Mentorship.objects.active().filter(engineer__username="demo", mentor=mentor).exists()
    inbox = Notification.objects.filter(recipient=mentor, kind__in=Notification.INBOX_KINDS)
    assert inbox.exists()
    # Nothing private reaches the mentor's inbox.
    assert not inbox.filter(checkin__milestone__goal__visibility="private").exists()
    assert Comment.objects.filter(author=mentor, section="problem").exists()

    _seed()

    assert Mentorship.objects.filter(mentor=mentor).count() == 1
