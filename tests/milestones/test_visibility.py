from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from milestones.models import Milestone, QuarterlyGoal
from tests.factories import GoalFactory, MilestoneFactory


@pytest.fixture
def alices_goals(alice) -> dict[str, QuarterlyGoal]:
    return {
        visibility: GoalFactory(owner=alice, visibility=visibility, title=visibility)
        for visibility in ("private", "mentors", "public")
    }


def _titles(queryset) -> set[str]:
    return set(queryset.values_list("title", flat=True))


def test_it_shows_the_owner_all_of_their_goals(alice, alices_goals):
    assert _titles(QuarterlyGoal.objects.visible_to(alice)) == {"private", "mentors", "public"}


def test_it_shows_another_engineer_only_public_goals(bob, alices_goals):
    assert _titles(QuarterlyGoal.objects.visible_to(bob)) == {"public"}


def test_it_shows_someone_signed_out_only_public_goals(alices_goals):
    assert _titles(QuarterlyGoal.objects.visible_to(AnonymousUser())) == {"public"}
    assert _titles(QuarterlyGoal.objects.visible_to(None)) == {"public"}


def test_it_shows_each_engineer_their_own_private_goals_and_nobody_elses(alice, bob):
    GoalFactory(owner=alice, visibility="private", title="alice private")
    GoalFactory(owner=bob, visibility="private", title="bob private")

    assert _titles(QuarterlyGoal.objects.visible_to(alice)) == {"alice private"}
    assert _titles(QuarterlyGoal.objects.visible_to(bob)) == {"bob private"}


def test_it_lets_milestones_follow_their_goal(alice, bob, alices_goals):
    for visibility, goal in alices_goals.items():
        MilestoneFactory(goal=goal, title=f"step of {visibility}")

    assert _titles(Milestone.objects.visible_to(alice)) == {
        "step of private",
        "step of mentors",
        "step of public",
    }
    assert _titles(Milestone.objects.visible_to(bob)) == {"step of public"}
    assert _titles(Milestone.objects.visible_to(AnonymousUser())) == {"step of public"}


def test_it_hides_milestones_once_their_goal_turns_private(bob, alices_goals):
    public = alices_goals["public"]
    MilestoneFactory(goal=public, title="step")
    public.visibility = "private"
    public.save()

    assert not Milestone.objects.visible_to(bob).exists()


def test_it_shows_a_mentor_the_goals_and_milestones_shared_with_mentors(
    alice, bob, charlie, alices_goals
):
    from portfolio.mentoring.mentorships import (
        mentorship_accept,
        mentorship_invite,
        mentorship_revoke,
    )

    for visibility, goal in alices_goals.items():
        MilestoneFactory(goal=goal, title=f"step of {visibility}")
    _, token = mentorship_invite(engineer=alice)
    mentorship = mentorship_accept(token=token, mentor=bob)

    assert _titles(QuarterlyGoal.objects.visible_to(bob)) == {"mentors", "public"}
    assert _titles(Milestone.objects.visible_to(bob)) == {"step of mentors", "step of public"}
    assert _titles(QuarterlyGoal.objects.visible_to(charlie)) == {"public"}

    mentorship_revoke(mentorship=mentorship, actor=alice)

    assert _titles(QuarterlyGoal.objects.visible_to(bob)) == {"public"}
