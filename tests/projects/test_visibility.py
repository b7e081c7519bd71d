from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from projects.models import Project
from projects.services import project_set_visibility
from tests.factories import create_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(alice) -> dict[str, Project]:
    return {
        visibility: create_project(owner=alice, title=f"Alice {visibility}", visibility=visibility)
        for visibility in ("public", "mentors", "private")
    }


@pytest.fixture
def bobs(bob) -> dict[str, Project]:
    return {
        visibility: create_project(owner=bob, title=f"Bob {visibility}", visibility=visibility)
        for visibility in ("public", "mentors", "private")
    }


def _titles(queryset) -> set[str]:
    return set(queryset.values_list("title", flat=True))


def test_an_owner_sees_all_their_projects_and_others_public_ones(alice, alices, bobs):
    assert _titles(Project.objects.visible_to(alice)) == {
        "Alice public",
        "Alice mentors",
        "Alice private",
        "Bob public",
    }


def test_another_engineer_sees_only_public_projects_of_others(bob, alices, bobs):
    visible = _titles(Project.objects.visible_to(bob))

    assert "Alice public" in visible
    assert "Alice mentors" not in visible
    assert "Alice private" not in visible


def test_a_bystander_with_no_projects_sees_only_public_ones(charlie, alices, bobs):
    assert _titles(Project.objects.visible_to(charlie)) == {"Alice public", "Bob public"}


@pytest.mark.parametrize("user", [AnonymousUser(), None], ids=["anonymous", "none"])
def test_someone_signed_out_sees_only_public_projects(user, alices, bobs):
    assert _titles(Project.objects.visible_to(user)) == {"Alice public", "Bob public"}


def test_it_follows_a_visibility_change(bob, alices):
    project_set_visibility(project=alices["private"], visibility="public")

    assert "Alice private" in _titles(Project.objects.visible_to(bob))
    assert "Alice private" in _titles(Project.objects.visible_to(None))


def test_it_chains_with_other_filters(alice, bob, alices, bobs):
    assert _titles(Project.objects.visible_to(bob).owned_by(alice)) == {"Alice public"}
    assert _titles(Project.objects.owned_by(alice).visible_to(None)) == {"Alice public"}


def _mentor(engineer, mentor):
    from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite

    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


def test_a_mentor_sees_what_their_mentee_shares_with_mentors(alice, bob, alices, bobs):
    _mentor(alice, bob)

    visible = _titles(Project.objects.visible_to(bob))

    assert {"Alice public", "Alice mentors"} <= visible
    assert "Alice private" not in visible
    # Bob's own projects are still all his.
    assert {"Bob public", "Bob mentors", "Bob private"} <= visible


def test_mentoring_goes_one_way(alice, bob, alices, bobs):
    _mentor(alice, bob)

    assert "Bob mentors" not in _titles(Project.objects.visible_to(alice))


def test_a_mentor_of_someone_else_sees_only_public_projects(alice, bob, charlie, alices, bobs):
    _mentor(bob, charlie)

    visible = _titles(Project.objects.visible_to(charlie))

    assert "Bob mentors" in visible
    assert "Alice mentors" not in visible


def test_revoking_a_mentor_takes_effect_at_once(alice, bob, alices):
    from portfolio.mentoring.mentorships import mentorship_revoke

    mentorship = _mentor(alice, bob)
    assert "Alice mentors" in _titles(Project.objects.visible_to(bob))

    mentorship_revoke(mentorship=mentorship, actor=alice)

    assert "Alice mentors" not in _titles(Project.objects.visible_to(bob))


def test_an_invitation_not_yet_accepted_grants_nothing(alice, bob, alices):
    from portfolio.mentoring.mentorships import mentorship_invite

    mentorship_invite(engineer=alice, email=bob.email)

    assert "Alice mentors" not in _titles(Project.objects.visible_to(bob))


def test_an_unlisted_project_is_read_by_link_but_listed_nowhere(alice, bob):
    unlisted = create_project(owner=alice, title="Alice unlisted", visibility="unlisted")
    create_project(owner=alice, title="Alice public", visibility="public")

    assert "Alice unlisted" in _titles(Project.objects.visible_to(None))
    assert "Alice unlisted" in _titles(Project.objects.visible_to(bob))
    assert _titles(Project.objects.visible_to(None).listed()) == {"Alice public"}
    assert Project.objects.visible_to(None).filter(pk=unlisted.pk).exists()


def test_goals_cannot_be_unlisted():
    from milestones.models import QuarterlyGoal

    choices = dict(QuarterlyGoal._meta.get_field("visibility").choices)
    assert "unlisted" not in choices
    assert set(choices) == {"private", "mentors", "public"}
