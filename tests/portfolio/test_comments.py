"""The feedback services (portfolio/mentoring/comments.py) and the selectors that shape threads
for pages.

alice is the engineer, bob her mentor, charlie a bystander.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from portfolio.mentoring import selectors, threads
from portfolio.mentoring.comments import (
    comment_on_milestone,
    comment_on_revision,
    comment_reply,
    thread_set_resolved,
)
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Comment, Notification
from tests.factories import (
    CheckInFactory,
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    save_revision,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentorship(alice, bob):
    _, token = mentorship_invite(engineer=alice, email="bob@example.com")
    return mentorship_accept(token=token, mentor=bob)


@pytest.fixture
def mentor(bob, mentorship):
    return bob


@pytest.fixture
def project(alice):
    return create_project(
        owner=alice,
        visibility="mentors",
        problem="Route support tickets to the right team.",
        model="Gradient boosting over a   linear\nbaseline.",
        results="Accuracy 0.91.",
    )


@pytest.fixture
def milestone(alice):
    return MilestoneFactory(goal=GoalFactory(owner=alice, visibility="mentors"))


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


# --- comment_on_revision ------------------------------------------------------------------------


def test_a_mentor_comments_on_a_section_quoting_it(alice, mentor, project):
    comment = comment_on_revision(
        author=mentor,
        revision=project.current_revision,
        body="  Which baseline?  ",
        section="model",
        quote="over a linear baseline",  # whitespace in the section does not matter
    )
    comment.refresh_from_db()
    assert comment.body == "Which baseline?"
    assert (comment.owner, comment.section, comment.quote) == (
        alice,
        "model",
        "over a linear baseline",
    )
    note = Notification.objects.get(kind="comment")
    assert (note.recipient, note.actor, note.engineer, note.comment) == (
        alice,
        mentor,
        alice,
        comment,
    )


def test_the_engineer_comments_on_her_own_work_without_notifying_herself(alice, project):
    comment_on_revision(author=alice, revision=project.current_revision, body="Note to self")
    assert not Notification.objects.filter(kind="comment").exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"body": ""}, "body", "Write something first."),
        ({"body": " \n "}, "body", "Write something first."),
        ({"body": "x" * 5001}, "body", "Keep it under 5,000 characters (5,001)."),
        ({"body": "Hi", "section": "nonsense"}, "section", "Choose a section of the record."),
        ({"body": "Hi", "quote": "Accuracy"}, "quote", "Pick the section the passage comes from."),
        (
            {"body": "Hi", "section": "problem", "quote": "Accuracy 0.91"},
            "quote",
            "That passage is not in this section of this revision.",
        ),
        ({"body": "Hi", "section": "results", "quote": "a" * 501}, "quote", "Quote at most 500"),
    ],
)
def test_it_refuses_invalid_comments(mentor, project, kwargs, field, message):
    with pytest.raises(ValidationError) as excinfo:
        comment_on_revision(author=mentor, revision=project.current_revision, **kwargs)
    assert any(message in m for m in _errors(excinfo)[field])
    assert not Comment.objects.exists()


def test_a_5000_character_comment_is_fine(mentor, project):
    comment = comment_on_revision(author=mentor, revision=project.current_revision, body="x" * 5000)
    assert len(comment.body) == 5000


def test_only_the_engineer_and_current_mentors_comment(alice, bob, charlie, mentorship, project):
    with pytest.raises(PermissionError):
        comment_on_revision(author=charlie, revision=project.current_revision, body="Hi")
    mentorship_revoke(mentorship=mentorship, actor=alice)
    with pytest.raises(PermissionError):
        comment_on_revision(author=bob, revision=project.current_revision, body="Still here?")
    assert not Comment.objects.exists()


# --- comment_on_milestone -----------------------------------------------------------------------


def test_a_mentor_comments_on_a_milestone_and_a_check_in(alice, mentor, milestone):
    checkin = CheckInFactory(milestone=milestone)
    on_milestone = comment_on_milestone(author=mentor, milestone=milestone, body="Due when?")
    on_checkin = comment_on_milestone(
        author=mentor, milestone=milestone, body="Nice", checkin=checkin
    )
    assert (on_milestone.checkin, on_checkin.checkin) == (None, checkin)
    assert Notification.objects.filter(recipient=alice, kind="comment").count() == 2


def test_a_check_in_of_another_milestone_is_refused(mentor, milestone):
    other = CheckInFactory(milestone=MilestoneFactory(goal=milestone.goal))
    with pytest.raises(ValidationError) as excinfo:
        comment_on_milestone(author=mentor, milestone=milestone, body="Hm", checkin=other)
    assert "checkin" in _errors(excinfo)


def test_a_stranger_cannot_comment_on_a_milestone(charlie, milestone):
    with pytest.raises(PermissionError):
        comment_on_milestone(author=charlie, milestone=milestone, body="Hi")


# --- Replies and resolving ----------------------------------------------------------------------


@pytest.fixture
def thread(mentor, project):
    return comment_on_revision(
        author=mentor, revision=project.current_revision, body="Why boosting?", section="model"
    )


def test_a_reply_joins_the_thread_and_tells_the_others(alice, mentor, thread):
    reply = comment_reply(author=alice, thread=thread, body="Interactions.")
    assert (reply.parent, reply.revision, reply.section, reply.owner) == (
        thread,
        thread.revision,
        "model",
        alice,
    )
    assert Notification.objects.filter(recipient=mentor, kind="reply", comment=reply).exists()
    # A reply to a reply lands in the same thread.
    again = comment_reply(author=mentor, thread=reply, body="Makes sense.")
    assert again.parent == thread
    assert Notification.objects.filter(recipient=alice, kind="reply", comment=again).exists()


def test_an_empty_reply_is_refused(alice, thread):
    with pytest.raises(ValidationError) as excinfo:
        comment_reply(author=alice, thread=thread, body="   ")
    assert "body" in _errors(excinfo)


def test_only_the_engineer_resolves_and_a_reply_reopens(alice, mentor, thread):
    with pytest.raises(PermissionError):
        thread_set_resolved(thread=thread, user=mentor, resolved=True)
    thread.refresh_from_db()
    assert thread.resolved_at is None

    thread_set_resolved(thread=thread, user=alice, resolved=True)
    thread.refresh_from_db()
    assert thread.resolved_by == alice and thread.is_resolved
    assert Notification.objects.filter(recipient=mentor, kind="resolved").exists()

    comment_reply(author=mentor, thread=thread, body="One more thing")
    thread.refresh_from_db()
    assert not thread.is_resolved

    thread_set_resolved(thread=thread, user=alice, resolved=True)
    thread_set_resolved(thread=thread, user=alice, resolved=False)
    thread.refresh_from_db()
    assert not thread.is_resolved and thread.resolved_by is None
    assert Notification.objects.filter(recipient=mentor, kind="reopened").count() == 1


def test_resolving_twice_changes_nothing(alice, mentor, thread):
    thread_set_resolved(thread=thread, user=alice, resolved=True)
    thread_set_resolved(thread=thread, user=alice, resolved=True)
    assert Notification.objects.filter(kind="resolved").count() == 1


# --- revision_threads ---------------------------------------------------------------------------


def test_threads_are_grouped_by_section_with_their_replies(alice, mentor, project, thread):
    whole = comment_on_revision(author=mentor, revision=project.current_revision, body="Overall")
    reply = comment_reply(author=alice, thread=thread, body="Because.")
    found = threads.revision_threads(
        viewer=alice, project=project, revision=project.current_revision
    )
    assert [t.root for t in found["by_section"]["model"]] == [thread]
    assert found["by_section"]["model"][0].replies == [reply]
    assert [t.root for t in found["by_section"][""]] == [whole]
    assert found["outdated"] == []


def test_a_thread_on_a_changed_section_is_outdated_not_moved(alice, mentor, project, thread):
    first = project.current_revision
    on_problem = comment_on_revision(
        author=mentor, revision=first, body="Which teams?", section="problem"
    )
    whole = comment_on_revision(author=mentor, revision=first, body="Overall")
    second = save_revision(project, model="A small transformer.")

    now = threads.revision_threads(viewer=mentor, project=project, revision=second)
    assert [t.root for t in now["outdated"]] == [thread]
    assert now["outdated"][0].outdated and now["outdated"][0].on_other_revision
    assert "model" not in now["by_section"]
    assert [t.root for t in now["by_section"]["problem"]] == [on_problem]
    assert now["by_section"]["problem"][0].on_other_revision
    assert not now["by_section"]["problem"][0].outdated
    assert [t.root for t in now["by_section"][""]] == [whole]

    then = threads.revision_threads(viewer=mentor, project=project, revision=first)
    assert then["outdated"] == []
    assert [t.root for t in then["by_section"]["model"]] == [thread]
    assert not then["by_section"]["model"][0].on_other_revision


def test_a_section_changed_and_changed_back_is_not_outdated(alice, mentor, project, thread):
    original = project.current_revision.model
    save_revision(project, model="Something else.")
    third = save_revision(project, model=original)
    found = threads.revision_threads(viewer=mentor, project=project, revision=third)
    assert found["outdated"] == []
    assert [t.root for t in found["by_section"]["model"]] == [thread]


def test_threads_are_hidden_from_those_who_may_not_read_them(alice, bob, charlie, project, thread):
    revision = project.current_revision
    assert threads.revision_threads(viewer=charlie, project=project, revision=revision) == {
        "by_section": {},
        "outdated": [],
        "results": [],
    }
    project.visibility = "private"
    project.save()
    assert (
        threads.revision_threads(viewer=bob, project=project, revision=revision)["by_section"] == {}
    )
    # The engineer still reads the feedback on her now private project.
    found = threads.revision_threads(viewer=alice, project=project, revision=revision)
    assert [t.root for t in found["by_section"]["model"]] == [thread]


def test_threads_of_a_revoked_mentor_are_kept_but_hidden_from_them(
    alice, bob, mentorship, project, thread
):
    mentorship_revoke(mentorship=mentorship, actor=alice)
    revision = project.current_revision
    assert threads.revision_threads(viewer=bob, project=project, revision=revision) == {
        "by_section": {},
        "outdated": [],
        "results": [],
    }
    found = threads.revision_threads(viewer=alice, project=project, revision=revision)
    assert [t.root for t in found["by_section"]["model"]] == [thread]


def test_open_thread_count(alice, mentor, project, thread):
    other = comment_on_revision(author=mentor, revision=project.current_revision, body="Two")
    thread_set_resolved(thread=other, user=alice, resolved=True)
    comment_reply(author=alice, thread=thread, body="A reply is not a thread")
    assert selectors.open_thread_count(viewer=alice, project=project) == 1
    assert selectors.open_thread_count(viewer=UserFactory(), project=project) == 0


# --- milestone_threads --------------------------------------------------------------------------


def test_milestone_threads_by_check_in(alice, mentor, milestone):
    first, second = CheckInFactory(milestone=milestone), CheckInFactory(milestone=milestone)
    about = comment_on_milestone(author=mentor, milestone=milestone, body="Due when?")
    on_first = comment_on_milestone(author=mentor, milestone=milestone, body="A", checkin=first)
    reply = comment_reply(author=alice, thread=on_first, body="B")
    found = threads.milestone_threads(viewer=alice, milestone=milestone)
    assert [t.root for t in found["milestone"]] == [about]
    assert [t.root for t in found["by_checkin"][first.pk]] == [on_first]
    assert found["by_checkin"][first.pk][0].replies == [reply]
    assert second.pk not in found["by_checkin"]


def test_milestone_threads_follow_the_goal_visibility(alice, bob, mentor, milestone):
    comment_on_milestone(author=mentor, milestone=milestone, body="Due when?")
    milestone.goal.visibility = "private"
    milestone.goal.save()
    assert threads.milestone_threads(viewer=bob, milestone=milestone) == {
        "milestone": [],
        "by_checkin": {},
    }
    assert len(threads.milestone_threads(viewer=alice, milestone=milestone)["milestone"]) == 1
