"""The notifications page, the header's unread count (htmx), opening one, marking all read, and
the email settings: what the engineer sees once a mentor gives feedback."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from milestones.services import checkin_create
from portfolio.mentoring.comments import comment_on_milestone, comment_on_revision
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Mentorship, Notification, NotifyChoice
from tests.factories import GoalFactory, MilestoneFactory, create_project

pytestmark = pytest.mark.django_db

PAGE_URL = reverse("mentoring:notifications")
COUNT_URL = reverse("mentoring:notifications-count")
READ_URL = reverse("mentoring:notifications-read")
SETTINGS_URL = reverse("mentoring:notification-settings")


def _mentor(engineer, mentor) -> Mentorship:
    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


def _comment(mentor, project, body: str = "Which split did you evaluate on?"):
    return comment_on_revision(author=mentor, revision=project.current_revision, body=body)


def _rows(response) -> list[str]:
    return re.findall(
        r'data-testid="notification">.*?<a href="[^"]*">(?:<span[^>]*>Unread: </span>)?([^<]*)</a>',
        response.text,
        re.S,
    )


def _count(client: Client, **headers) -> int:
    response = client.get(COUNT_URL, headers=headers)
    assert response.status_code == 200
    found = re.search(r'data-count="(\d+)"', response.text)
    return int(found.group(1)) if found else 0


@pytest.fixture
def shared_project(alice):
    return create_project(owner=alice, visibility="mentors", title="Ticket router")


@pytest.fixture
def mentorship(alice, bob) -> Mentorship:
    return _mentor(alice, bob)


# --- Who may see what -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notifications", "notifications-read", "notification-settings"])
def test_it_sends_visitors_to_the_login_page(client, name):
    url = reverse(f"mentoring:{name}")
    response = client.post(url) if name == "notifications-read" else client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_count_answers_a_visitor_with_no_content(client):
    response = client.get(COUNT_URL, headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response.content == b""


def test_opening_someone_elses_notification_is_a_404(
    alice, bob, charlie, mentorship, shared_project
):
    _comment(bob, shared_project)
    notification = Notification.objects.get(recipient=alice, kind="comment")
    client = Client()
    client.force_login(charlie)

    assert client.get(reverse("mentoring:notification", args=[notification.pk])).status_code == 404
    assert client.get(reverse("mentoring:notification", args=[999999])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_revoked_mentor_can_no_longer_open_what_they_were_told(alice, bob, mentorship, goal):
    goal.visibility = "mentors"
    goal.save()
    milestone = MilestoneFactory(goal=goal)
    checkin_create(milestone=milestone, author=alice, progress=40, note="Halfway")
    item = Notification.objects.get(recipient=bob, kind="checkin")
    mentorship_revoke(mentorship=mentorship, actor=alice)
    client = Client()
    client.force_login(bob)

    assert client.get(reverse("mentoring:notification", args=[item.pk])).status_code == 404
    assert "Halfway" not in client.get(PAGE_URL).text
    assert _count(client) == 0


# --- The page ---------------------------------------------------------------------------------


def test_a_user_without_notifications_gets_an_explanation(alice_client):
    response = alice_client.get(PAGE_URL)

    assert response.status_code == 200
    assert "No notifications yet" in response.text
    assert 'data-testid="notification"' not in response.text
    assert "Mark all as read" not in response.text


def test_the_page_lists_feedback_newest_first_with_unread_ones_highlighted(
    alice, bob, mentorship, shared_project, alice_client
):
    _comment(bob, shared_project, "First question")
    goal = GoalFactory(owner=alice, visibility="mentors")
    milestone = MilestoneFactory(goal=goal, title="Label 2,000 tickets")
    comment_on_milestone(author=bob, milestone=milestone, body="Second question")
    Notification.objects.filter(recipient=alice, kind="accepted").update(
        read_at="2026-11-28T10:00Z"
    )

    response = alice_client.get(PAGE_URL)

    assert response.status_code == 200
    assert _rows(response) == [
        "Bob commented on milestone “Label 2,000 tickets”",
        "Bob commented on revision 1 of “Ticket router”",
        "Bob accepted your invitation to mentor you",
    ]
    items = re.findall(r'<li class="notif-item ([^"]*)"', response.text)
    assert ["is-unread" in classes for classes in items] == [True, True, False]
    assert "Second question" in response.text
    assert 'data-testid="unread-total">2<' in response.text


def test_the_unread_filter_leaves_read_ones_out(
    alice, bob, mentorship, shared_project, alice_client
):
    _comment(bob, shared_project)
    Notification.objects.filter(recipient=alice, kind="accepted").update(
        read_at="2026-11-28T10:00Z"
    )

    response = alice_client.get(PAGE_URL, {"show": "unread"})

    assert _rows(response) == ["Bob commented on revision 1 of “Ticket router”"]
    assert 'href="/notifications/?show=unread" aria-current="page"' in response.text

    Notification.objects.filter(recipient=alice).update(read_at="2026-11-28T11:00Z")
    response = alice_client.get(PAGE_URL, {"show": "unread"})
    assert _rows(response) == []
    assert "All caught up" in response.text


def test_the_page_costs_the_same_queries_for_many_notifications_and_pages_them(
    alice, bob, mentorship, shared_project, alice_client, django_assert_max_num_queries
):
    goal = GoalFactory(owner=alice, visibility="mentors")
    milestone = MilestoneFactory(goal=goal)
    for i in range(30):
        _comment(bob, shared_project, f"Revision question {i}")
        comment_on_milestone(author=bob, milestone=milestone, body=f"Milestone question {i}")

    with django_assert_max_num_queries(9):  # +1: whether the user mentors (the navigation's order)
        response = alice_client.get(PAGE_URL)

    assert len(_rows(response)) == 50
    assert "Page 1 of 2" in response.text
    with django_assert_max_num_queries(9):  # +1: whether the user mentors (the navigation's order)
        second = alice_client.get(PAGE_URL, {"page": 2})
    assert len(_rows(second)) == 11
    assert _rows(second)[-1] == "Bob accepted your invitation to mentor you"


def test_opening_a_notification_marks_it_read_and_goes_to_the_comment(
    alice, bob, mentorship, shared_project, alice_client
):
    comment = _comment(bob, shared_project)
    notification = Notification.objects.get(recipient=alice, kind="comment")

    response = alice_client.get(reverse("mentoring:notification", args=[notification.pk]))

    assert response.status_code == 302
    revision = reverse("mentoring:revision", args=["alice", shared_project.slug, 1])
    assert response.url == f"{revision}#comment-{comment.pk}"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert alice_client.get(response.url).status_code == 200


def test_mark_all_read_without_htmx_redirects_back_with_a_message(
    alice, bob, mentorship, shared_project, alice_client
):
    _comment(bob, shared_project)

    response = alice_client.post(READ_URL, {"show": "unread"}, follow=True)

    assert response.redirect_chain == [(f"{PAGE_URL}?show=unread", 302)]
    assert "Marked 2 notifications as read." in response.text
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert alice_client.get(READ_URL).status_code == 405


def test_mark_all_read_with_htmx_swaps_the_list_and_the_header_count(
    alice, bob, mentorship, shared_project, alice_client, htmx_headers
):
    _comment(bob, shared_project)

    response = alice_client.post(READ_URL, {"show": "all"}, headers=htmx_headers)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert response.text.lstrip().startswith('<section id="notification-panel"')
    assert "<html" not in response.text
    assert '<span id="notification-count" hx-swap-oob="innerHTML"></span>' in response.text
    assert "is-unread" not in response.text
    assert len(_rows(response)) == 2
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_it_does_not_mark_other_users_notifications_read(alice, bob, mentorship, shared_project):
    _comment(bob, shared_project)
    client = Client()
    client.force_login(bob)

    client.post(READ_URL)

    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 2


# --- The header's count -----------------------------------------------------------------------


def test_every_page_has_the_header_links_and_the_count_slot(alice_client):
    response = alice_client.get(reverse("milestones:plan"), follow=True)

    assert response.status_code == 200
    header = response.text.split("</header>")[0]
    assert f'hx-get="{COUNT_URL}"' in header
    assert 'hx-trigger="load, every 60s, notifications-changed from:body"' in header
    assert 'id="notification-count"' in header
    assert f'href="{PAGE_URL}"' in header
    assert f'href="{reverse("mentoring:dashboard")}"' in header
    assert f'href="{reverse("mentoring:mentors")}">Mentors<' in header
    assert f'href="{SETTINGS_URL}">Notification settings<' in header
    assert "<script>" not in response.text and " style=" not in header


def test_visitors_get_no_count_slot(client):
    response = client.get(reverse("home"))

    assert COUNT_URL not in response.text


def test_the_count_rises_when_a_mentor_comments_and_drops_after_mark_all_read(
    alice, bob, mentorship, shared_project, alice_client, htmx_headers
):
    assert _count(alice_client, **htmx_headers) == 1  # bob accepted the invitation

    _comment(bob, shared_project)
    _comment(bob, shared_project, "And the baseline?")

    response = alice_client.get(COUNT_URL, headers=htmx_headers)
    assert "3 unread notifications" in response.text
    assert 'data-count="3"' in response.text
    assert "no-store" in response["Cache-Control"]

    alice_client.post(READ_URL)
    response = alice_client.get(COUNT_URL, headers=htmx_headers)
    assert response.status_code == 200
    assert response.text.strip() == ""


def test_the_count_says_one_notification_in_the_singular(alice, bob, mentorship, alice_client):
    response = alice_client.get(COUNT_URL)

    assert "1 unread notification<" in response.text


def test_the_count_costs_one_query_beyond_the_session(
    alice, bob, mentorship, shared_project, alice_client, django_assert_max_num_queries
):
    for i in range(5):
        _comment(bob, shared_project, f"Question {i}")

    with django_assert_max_num_queries(3) as queries:  # session, user, the count
        assert _count(alice_client) == 6
    assert sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries) == 1


# --- Email settings ---------------------------------------------------------------------------


def test_the_settings_page_shows_the_current_choice(alice, alice_client):
    response = alice_client.get(SETTINGS_URL)

    assert response.status_code == 200
    checked = re.findall(r'<input type="radio"[^>]*value="(\w+)"[^>]*checked', response.text)
    assert checked == [NotifyChoice.DAILY]
    assert "alice@example.com" in response.text
    assert "One daily digest" in response.text and "Right away" in response.text


def test_saving_a_choice_changes_the_profile(alice, alice_client):
    response = alice_client.post(SETTINGS_URL, {"email_notifications": "immediate"}, follow=True)

    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    assert "Saved: Cairn emails you each notification as it comes." in response.text
    alice.profile.refresh_from_db()
    assert alice.profile.email_notifications == NotifyChoice.IMMEDIATE


def test_an_unknown_choice_is_refused_and_nothing_changes(alice, alice_client):
    response = alice_client.post(SETTINGS_URL, {"email_notifications": "hourly"})

    assert response.status_code == 200
    assert 'role="alert"' in response.text
    alice.profile.refresh_from_db()
    assert alice.profile.email_notifications == NotifyChoice.DAILY


def test_the_settings_page_warns_when_there_is_no_email_address(alice, alice_client):
    alice.email = ""
    alice.save()

    response = alice_client.get(SETTINGS_URL)

    assert "has no email address" in response.text
