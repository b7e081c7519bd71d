"""threads.thread_for_viewer: the one thread a reply, resolve or reopen answers with, read
through the same rule as the pages, without building the page around it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from portfolio.mentoring import threads
from portfolio.mentoring.comments import comment_on_milestone, comment_on_revision, comment_reply
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    save_revision,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentorship(alice, bob):
    _, token = mentorship_invite(engineer=alice)
    return mentorship_accept(token=token, mentor=bob)


@pytest.fixture
def project(alice):
    return create_project(owner=alice, visibility="mentors", problem="Route tickets.")


@pytest.fixture
def thread(alice, bob, mentorship, project):
    root = comment_on_revision(
        author=bob, revision=project.current_revision, body="Which teams?", section="problem"
    )
    comment_reply(author=alice, thread=root, body="Billing and support.")
    return root


def test_it_returns_the_thread_with_its_replies_in_order(alice, thread):
    found = threads.thread_for_viewer(viewer=alice, root=thread)

    assert found.root == thread
    assert [c.body for c in found.replies] == ["Billing and support."]
    assert not found.outdated and not found.on_other_revision


@pytest.mark.parametrize("role", ["owner", "mentor", "revoked mentor", "other user", "anonymous"])
def test_only_the_engineer_and_current_mentors_get_the_thread(role, alice, bob, mentorship, thread):
    if role == "revoked mentor":
        mentorship_revoke(mentorship=mentorship, actor=alice)
    viewer = {
        "owner": alice,
        "mentor": bob,
        "revoked mentor": bob,
        "other user": UserFactory(username="dave"),
        "anonymous": AnonymousUser(),
    }[role]

    found = threads.thread_for_viewer(viewer=viewer, root=thread)

    assert (found is not None) == (role in ("owner", "mentor"))


def test_a_thread_read_on_a_later_revision_whose_section_changed_is_outdated(
    alice, project, thread
):
    later = save_revision(project, problem="Route tickets by language.")

    found = threads.thread_for_viewer(viewer=alice, root=thread, revision=later)

    assert found.on_other_revision and found.outdated


def test_a_thread_on_a_project_turned_private_is_gone_for_the_mentor(alice, bob, project, thread):
    project.visibility = "private"
    project.save()

    assert threads.thread_for_viewer(viewer=bob, root=thread) is None
    assert threads.thread_for_viewer(viewer=alice, root=thread) is not None


def test_a_milestone_thread_is_found_too(alice, bob, mentorship):
    milestone = MilestoneFactory(goal=GoalFactory(owner=alice, visibility="mentors"))
    root = comment_on_milestone(author=bob, milestone=milestone, body="Blocked?")

    found = threads.thread_for_viewer(viewer=alice, root=root)

    assert found.root == root and found.replies == []


def test_an_htmx_reply_answers_the_thread_without_reading_the_whole_page(
    alice, bob, client, project, thread, django_assert_max_num_queries
):
    for section in ("problem", "data_sources", "model", "evaluation", "results"):
        comment_on_revision(
            author=bob, revision=project.current_revision, body="?", section=section
        )
    client.force_login(alice)

    with django_assert_max_num_queries(14):
        response = client.post(
            reverse("mentoring:reply", args=[thread.pk]),
            {"body": "One more thing.", "on": "1"},
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert response.text.count('data-testid="thread"') == 1
    assert "One more thing." in response.text
