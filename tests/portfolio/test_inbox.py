"""The mentor's dashboard: their mentees, and the inbox of check-ins, revisions and completed
milestones to acknowledge, from the day they accepted and only while the work is shared."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from milestones.services import checkin_create, milestone_set_status
from portfolio.mentoring import selectors
from portfolio.mentoring.comments import comment_on_milestone, comment_reply
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Mentorship, Notification
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    save_revision,
)

pytestmark = pytest.mark.django_db

DASHBOARD_URL = reverse("mentoring:dashboard")
ACK_ALL_URL = reverse("mentoring:inbox-ack-all")


def _mentor(engineer, mentor) -> Mentorship:
    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


def _ack_url(item: Notification) -> str:
    return reverse("mentoring:inbox-ack", args=[item.pk])


def _shared_milestone(owner, title="Label 2,000 tickets"):
    goal = GoalFactory(owner=owner, title=f"Goal of {owner.username}", visibility="mentors")
    return MilestoneFactory(goal=goal, title=title)


def _items(response) -> list[str]:
    return re.findall(
        r'data-testid="inbox-item">.*?<a href="[^"]*">([^<]*)</a>', response.text, re.S
    )


@pytest.fixture
def mentor_client(bob):
    client = Client()
    client.force_login(bob)
    return client


def test_a_user_without_mentees_gets_an_explanation(bob_client):
    response = bob_client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert "You do not mentor anyone yet" in response.text
    assert 'data-testid="inbox-item"' not in response.text


def test_the_mentor_sees_each_mentee_with_their_unread_count(alice, bob, charlie, mentor_client):
    _mentor(alice, bob)
    _mentor(charlie, bob)
    milestone = _shared_milestone(alice)
    checkin_create(milestone=milestone, author=alice, progress=30, note="Labelled 600")
    checkin_create(milestone=milestone, author=alice, progress=60, note="Labelled 1,200")

    response = mentor_client.get(DASHBOARD_URL)

    assert response.status_code == 200
    mentees = re.findall(r'data-testid="mentee">(.*?)</li>', response.text, re.S)
    assert len(mentees) == 2
    alice_row, charlie_row = mentees
    assert reverse("mentoring:person", args=["alice"]) in alice_row
    assert ">2</span>" in alice_row
    assert "since Nov" in alice_row
    assert reverse("mentoring:person", args=["charlie"]) in charlie_row
    assert ">0</span>" in charlie_row


def test_the_inbox_lists_check_ins_revisions_and_completed_milestones_newest_first(
    alice, bob, mentor_client
):
    _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    checkin_create(milestone=milestone, author=alice, progress=40, note="Half of the labels")
    project = create_project(owner=alice, title="Churn model", visibility="mentors")
    save_revision(project, summary="Now with a holdout set.", change_note="Holdout split")
    milestone_set_status(milestone=milestone, status="done")

    response = mentor_client.get(DASHBOARD_URL)

    assert _items(response) == [
        "Alice completed “Label 2,000 tickets”",
        "Alice saved revision 2 of “Churn model”",
        "Alice saved revision 1 of “Churn model”",
        "Alice logged a check-in on “Label 2,000 tickets” (40%)",
    ]
    assert "Half of the labels" in response.text
    assert "Holdout split" in response.text
    assert reverse("mentoring:revision", args=["alice", project.slug, 2]) in response.text
    assert reverse("mentoring:milestone", args=["alice", milestone.pk]) in response.text


def test_a_new_mentor_starts_from_the_day_they_accepted(alice, bob, mentor_client):
    milestone = _shared_milestone(alice)
    checkin_create(milestone=milestone, author=alice, progress=20, note="Before the mentor")
    _mentor(alice, bob)
    checkin_create(milestone=milestone, author=alice, progress=50, note="After the mentor")

    response = mentor_client.get(DASHBOARD_URL)

    assert "After the mentor" in response.text
    assert "Before the mentor" not in response.text
    assert len(_items(response)) == 1


def test_the_inbox_hides_private_work_and_work_that_became_private(alice, bob, mentor_client):
    _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    checkin_create(milestone=milestone, author=alice, progress=40, note="Shared progress")
    secret = MilestoneFactory(goal=GoalFactory(owner=alice, visibility="private"))
    checkin_create(milestone=secret, author=alice, progress=10, note="Secret progress")
    assert "Shared progress" in mentor_client.get(DASHBOARD_URL).text

    goal = milestone.goal
    goal.visibility = "private"
    goal.save()
    response = mentor_client.get(DASHBOARD_URL)

    assert "Shared progress" not in response.text
    assert "Secret progress" not in response.text
    assert _items(response) == []
    assert "All caught up" in response.text


def test_a_revoked_mentor_sees_nothing_of_the_engineer_any_more(alice, bob, mentor_client):
    mentorship = _mentor(alice, bob)
    checkin_create(
        milestone=_shared_milestone(alice), author=alice, progress=40, note="Shared progress"
    )

    mentorship_revoke(mentorship=mentorship, actor=alice)
    response = mentor_client.get(DASHBOARD_URL)

    assert "Shared progress" not in response.text
    assert "You do not mentor anyone yet" in response.text


def test_a_mentor_invited_again_starts_from_the_new_acceptance(alice, bob, mentor_client):
    mentorship = _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    checkin_create(milestone=milestone, author=alice, progress=40, note="From the first time")
    mentorship_revoke(mentorship=mentorship, actor=alice)
    checkin_create(milestone=milestone, author=alice, progress=50, note="While revoked")

    _mentor(alice, bob)
    checkin_create(milestone=milestone, author=alice, progress=60, note="After coming back")
    response = mentor_client.get(DASHBOARD_URL)

    assert "After coming back" in response.text
    assert "From the first time" not in response.text
    assert "While revoked" not in response.text


def test_acknowledging_removes_the_item(alice, bob, mentor_client):
    _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    first = checkin_create(milestone=milestone, author=alice, progress=40, note="First")
    checkin_create(milestone=milestone, author=alice, progress=60, note="Second")
    item = Notification.objects.get(recipient=bob, checkin=first)

    response = mentor_client.post(_ack_url(item))

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_URL
    item.refresh_from_db()
    assert item.read_at is not None
    page = mentor_client.get(DASHBOARD_URL)
    assert len(_items(page)) == 1
    assert "Second" in page.text
    assert "First" not in page.text


def test_acknowledging_with_htmx_removes_the_row_and_updates_the_counts(
    alice, bob, mentor_client, htmx_headers
):
    _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    first = checkin_create(milestone=milestone, author=alice, progress=40, note="First")
    checkin_create(milestone=milestone, author=alice, progress=60, note="Second")
    item = Notification.objects.get(recipient=bob, checkin=first)

    response = mentor_client.post(_ack_url(item), headers=htmx_headers)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert 'data-testid="inbox-item"' not in response.text
    assert re.search(r'id="inbox-total"[^>]*hx-swap-oob="true"[^>]*>1</span>', response.text)
    assert re.search(
        rf'id="mentee-{alice.pk}-unread"[^>]*hx-swap-oob="true"[^>]*>1</span>', response.text
    )
    assert "All caught up" not in response.text
    # The header's unread count is told to fetch itself again.
    assert "notifications-changed" in json.loads(response["HX-Trigger"])
    item.refresh_from_db()
    assert item.read_at is not None


def test_acknowledging_the_last_item_with_htmx_says_all_caught_up(
    alice, bob, mentor_client, htmx_headers
):
    _mentor(alice, bob)
    checkin = checkin_create(milestone=_shared_milestone(alice), author=alice, progress=40)
    item = Notification.objects.get(recipient=bob, checkin=checkin)

    response = mentor_client.post(_ack_url(item), headers=htmx_headers)

    assert re.search(r'id="inbox-total"[^>]*>0</span>', response.text)
    assert re.search(r'id="inbox-status"[^>]*hx-swap-oob="true"', response.text)
    assert '<div id="inbox-actions" hx-swap-oob="true"></div>' in response.text
    assert "All caught up" in response.text


def test_it_answers_404_for_someone_elses_item(alice, bob, charlie, client):
    _mentor(alice, bob)
    _mentor(alice, charlie)
    checkin = checkin_create(milestone=_shared_milestone(alice), author=alice, progress=40)
    item = Notification.objects.get(recipient=bob, checkin=checkin)

    for user in (charlie, alice):
        client.force_login(user)
        assert client.post(_ack_url(item)).status_code == 404

    item.refresh_from_db()
    assert item.read_at is None
    assert client.post(reverse("mentoring:inbox-ack", args=[999999])).status_code == 404


def test_feedback_notifications_are_not_inbox_items(alice, bob, client):
    _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    comment_on_milestone(author=bob, milestone=milestone, body="Nice pace.")
    alert = Notification.objects.get(recipient=alice, kind="comment")
    client.force_login(alice)

    assert client.post(_ack_url(alert)).status_code == 404
    client.post(ACK_ALL_URL)

    alert.refresh_from_db()
    assert alert.read_at is None


def test_acknowledge_all_clears_the_inbox(alice, bob, charlie, mentor_client):
    _mentor(alice, bob)
    _mentor(charlie, bob)
    for engineer in (alice, charlie):
        milestone = _shared_milestone(engineer)
        for progress in (10, 20):
            checkin_create(milestone=milestone, author=engineer, progress=progress)

    response = mentor_client.post(ACK_ALL_URL)

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_URL
    page = mentor_client.get(DASHBOARD_URL)
    assert "Acknowledged 4 items." in page.text
    assert _items(page) == []
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()


def test_acknowledge_all_of_one_mentee_leaves_the_others(alice, bob, charlie, mentor_client):
    _mentor(alice, bob)
    _mentor(charlie, bob)
    for engineer in (alice, charlie):
        checkin_create(milestone=_shared_milestone(engineer), author=engineer, progress=10)

    mentor_client.post(f"{ACK_ALL_URL}?engineer={alice.pk}")

    unread = Notification.objects.filter(recipient=bob, read_at__isnull=True)
    assert list(unread.values_list("engineer__username", flat=True)) == ["charlie"]
    assert mentor_client.post(f"{ACK_ALL_URL}?engineer=abc").status_code == 404


def test_it_shows_how_many_more_items_there_are(alice, bob, mentor_client):
    _mentor(alice, bob)
    milestone = _shared_milestone(alice)
    for n in range(53):
        checkin_create(milestone=milestone, author=alice, progress=n)

    response = mentor_client.get(DASHBOARD_URL)

    assert len(_items(response)) == 50
    assert "3 more not shown" in response.text
    assert re.search(r'id="inbox-total"[^>]*>53</span>', response.text)


def test_the_dashboard_reads_in_a_fixed_number_of_queries(
    bob, mentor_client, django_assert_max_num_queries
):
    for n in range(3):
        engineer = UserFactory(username=f"mentee{n}")
        _mentor(engineer, bob)
        milestone = _shared_milestone(engineer)
        for progress in (10, 20, 30):
            checkin_create(milestone=milestone, author=engineer, progress=progress, note="n")
        project = create_project(owner=engineer, visibility="mentors")
        save_revision(project, summary="Changed.")
        milestone_set_status(milestone=milestone, status="done")
    assert Notification.objects.filter(recipient=bob).count() == 3 * 6

    with django_assert_max_num_queries(10):
        response = mentor_client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert len(_items(response)) == 18


def test_signed_out_visitors_are_sent_to_log_in(client, db):
    for response in (client.get(DASHBOARD_URL), client.post(ACK_ALL_URL)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_inbox_items_are_the_visible_unread_work_notifications(alice, bob, charlie):
    _mentor(alice, bob)
    old = _mentor(charlie, bob)
    shared = _shared_milestone(alice)
    checkin_create(milestone=shared, author=alice, progress=10, note="Shared")
    checkin_create(milestone=_shared_milestone(charlie), author=charlie, progress=10)
    secret = MilestoneFactory(goal=GoalFactory(owner=alice, visibility="private"))
    checkin_create(milestone=secret, author=alice, progress=10)
    project = create_project(owner=alice, visibility="mentors")
    save_revision(project, summary="Changed.")
    milestone_set_status(milestone=shared, status="done")
    thread = comment_on_milestone(author=bob, milestone=shared, body="Nice pace.")
    comment_reply(author=alice, thread=thread, body="Thanks!")
    mentorship_revoke(mentorship=old, actor=charlie)
    Notification.objects.filter(recipient=bob, revision__number=1).update(read_at=timezone.now())

    expected = selectors.notifications_visible_to(bob).filter(
        kind__in=Notification.INBOX_KINDS, read_at__isnull=True
    )

    assert sorted(selectors.inbox_items(bob).values_list("pk", flat=True)) == sorted(
        expected.values_list("pk", flat=True)
    )
    assert set(selectors.inbox_items(bob).values_list("kind", flat=True)) == {
        "checkin",
        "revision",
        "milestone",
    }
    assert Notification.objects.filter(recipient=bob, kind="reply").exists()
