"""The named filters beside visible_to (public, listed, shared_with_mentors, Profile.public,
Mentorship.mentee_ids) say the same thing as the one visibility rule, for every role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from milestones.models import CheckIn, Milestone, QuarterlyGoal
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Mentorship, Profile
from projects.models import Project
from tests.factories import (
    CheckInFactory,
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
)

pytestmark = pytest.mark.django_db

ROLES = ("owner", "mentor", "revoked mentor", "other user", "anonymous")


def _mentor(engineer, mentor) -> Mentorship:
    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


@pytest.fixture
def cast(alice, bob, charlie) -> dict:
    """alice owns the work; bob mentors her; charlie mentored her until she revoked him."""
    _mentor(alice, bob)
    mentorship_revoke(mentorship=_mentor(alice, charlie), actor=alice)
    return {
        "owner": alice,
        "mentor": bob,
        "revoked mentor": charlie,
        "other user": UserFactory(username="dave"),
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def work(alice) -> None:
    for visibility in ("private", "mentors", "unlisted", "public"):
        create_project(owner=alice, title=visibility, visibility=visibility)
    for visibility in ("private", "mentors", "public"):
        goal = GoalFactory(owner=alice, visibility=visibility, title=visibility)
        milestone = MilestoneFactory(goal=goal, title=visibility)
        CheckInFactory(milestone=milestone, author=alice, note=visibility)


def _titles(queryset, field: str = "title") -> set[str]:
    return set(queryset.values_list(field, flat=True))


# What each role reads of alice's work, spelled out once for the tests below.
PROJECTS_READ = {
    "owner": {"private", "mentors", "unlisted", "public"},
    "mentor": {"mentors", "unlisted", "public"},
    "revoked mentor": {"unlisted", "public"},
    "other user": {"unlisted", "public"},
    "anonymous": {"unlisted", "public"},
}
GOALS_READ = {role: seen - {"unlisted"} for role, seen in PROJECTS_READ.items()}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_projects_the_rule_gives_it(role, cast, work):
    seen = Project.objects.visible_to(cast[role]).filter(owner=cast["owner"])

    assert _titles(seen) == PROJECTS_READ[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_goals_milestones_and_checkins_the_rule_gives_it(role, cast, work):
    user, alice = cast[role], cast["owner"]

    assert _titles(QuarterlyGoal.objects.visible_to(user).filter(owner=alice)) == GOALS_READ[role]
    assert (
        _titles(Milestone.objects.visible_to(user).filter(goal__owner=alice)) == (GOALS_READ[role])
    )
    checkins = CheckIn.objects.visible_to(user).filter(milestone__goal__owner=alice)
    assert _titles(checkins, "note") == GOALS_READ[role]


def test_shared_with_mentors_is_what_a_current_mentor_reads(cast, work):
    alice = cast["owner"]

    assert (
        _titles(Project.objects.filter(owner=alice).shared_with_mentors())
        == (PROJECTS_READ["mentor"])
    )
    assert (
        _titles(QuarterlyGoal.objects.filter(owner=alice).shared_with_mentors())
        == (GOALS_READ["mentor"])
    )
    assert _titles(Milestone.objects.shared_with_mentors()) == GOALS_READ["mentor"]
    assert _titles(CheckIn.objects.shared_with_mentors(), "note") == GOALS_READ["mentor"]


@pytest.mark.parametrize("role", ROLES)
def test_public_is_listed_work_every_role_reads(role, cast, work):
    user = cast[role]

    assert _titles(Project.objects.public()) == {"public"}
    assert _titles(Project.objects.public()) <= _titles(Project.objects.visible_to(user))
    assert _titles(QuarterlyGoal.objects.public()) == {"public"}
    assert _titles(Milestone.objects.public()) <= _titles(Milestone.objects.visible_to(user))
    assert _titles(CheckIn.objects.public(), "note") == {"public"}


def test_listed_leaves_out_unlisted_projects_only(cast, work):
    assert _titles(Project.objects.listed()) == {"private", "mentors", "public"}
    assert _titles(Project.objects.visible_to(None).listed()) == _titles(Project.objects.public())


def test_a_goal_turning_private_leaves_the_public_and_mentor_lists(cast, work):
    goal = QuarterlyGoal.objects.get(title="public")
    goal.visibility = "private"
    goal.save()

    assert not Milestone.objects.public().exists()
    assert _titles(Milestone.objects.shared_with_mentors()) == {"mentors"}


def test_profile_public_holds_only_profiles_made_public(alice, bob):
    Profile.objects.filter(user=alice).update(is_public=True)
    Profile.objects.filter(user=bob).update(is_public=False)

    assert _titles(Profile.objects.public(), "slug") == {"alice"}


def test_mentee_ids_are_the_engineers_a_mentor_mentors_now(cast, alice):
    bob, charlie = cast["mentor"], cast["revoked mentor"]
    mentorship_invite(engineer=cast["other user"])  # an invitation nobody accepted

    assert list(Mentorship.objects.mentee_ids(bob).values_list("engineer_id", flat=True)) == [
        alice.pk
    ]
    assert not Mentorship.objects.mentee_ids(charlie).exists()
