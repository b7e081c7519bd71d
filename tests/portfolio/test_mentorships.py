"""Invitations from the engineer's side and the mentor's: hashed single-use links that expire,
accepting, revoking with immediate effect, the audit trail, and a clear page for every refusal."""

from __future__ import annotations

import datetime
import hashlib
import re
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolio.mentoring.mentorships import (
    InvitationError,
    invitation_for_token,
    mentorship_accept,
    mentorship_invite,
    mentorship_revoke,
)
from portfolio.models import Mentorship, MentorshipEvent
from portfolio.tasks import send_email
from projects.models import Project
from tests.factories import PASSWORD, create_project

pytestmark = pytest.mark.django_db

MENTORS_URL = reverse("mentoring:mentors")
DASHBOARD_URL = reverse("mentoring:dashboard")
LINK = re.compile(r"https?://[^/\s\"]+/mentoring/accept/([A-Za-z0-9_-]+)/")


def _accept_url(token: str) -> str:
    return reverse("mentoring:accept", args=[token])


def _invite(client, django_capture_on_commit_callbacks, **data) -> str:
    """Create an invitation through the page; returns the token of the link it shows."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(MENTORS_URL, {"email": "", "note": "", **data}, follow=True)
    # Post, redirect, get: a reload of the page that shows the link makes no second invitation.
    assert response.redirect_chain == [(MENTORS_URL, 302)]
    assert response.status_code == 200
    match = LINK.search(response.text)
    assert match, response.text
    return match.group(1)


def _mentor(engineer, mentor) -> Mentorship:
    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


# --- Services ---------------------------------------------------------------------------------


def test_it_stores_only_the_hash_of_the_token(alice):
    mentorship, token = mentorship_invite(engineer=alice, email="bob@example.com")

    row = Mentorship.objects.filter(pk=mentorship.pk).values().get()
    assert token not in {str(value) for value in row.values()}
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40


def test_an_invitation_expires_seven_days_after_it_was_made(alice, bob, monkeypatch):
    mentorship, token = mentorship_invite(engineer=alice)
    assert mentorship.expires_at - mentorship.created_at == pytest.approx(
        datetime.timedelta(days=7), abs=datetime.timedelta(seconds=5)
    )
    later = timezone.now() + datetime.timedelta(days=7, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    with pytest.raises(InvitationError) as refused:
        mentorship_accept(token=token, mentor=bob)

    assert refused.value.reason == "expired"


def test_an_invitation_works_once(alice, bob, charlie):
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)

    with pytest.raises(InvitationError) as refused:
        mentorship_accept(token=token, mentor=charlie)

    assert refused.value.reason == "used"
    assert list(Mentorship.objects.active().values_list("mentor__username", flat=True)) == ["bob"]


def test_it_refuses_a_forged_token(alice):
    mentorship_invite(engineer=alice)

    with pytest.raises(InvitationError) as refused:
        invitation_for_token(token="forged-" + "x" * 36)

    assert refused.value.reason == "unknown"


# --- Creating an invitation -------------------------------------------------------------------


def test_it_sends_someone_signed_out_to_log_in(client, db):
    response = client.get(MENTORS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_invitation_form_and_no_link(alice_client):
    response = alice_client.get(MENTORS_URL)

    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert 'name="note"' in response.text
    assert "No mentors yet" in response.text
    assert not LINK.search(response.text)


def test_it_shows_the_new_link_once(alice, alice_client, django_capture_on_commit_callbacks):
    token = _invite(alice_client, django_capture_on_commit_callbacks, note="Help with MLOps?")

    mentorship = Mentorship.objects.get(engineer=alice)
    assert mentorship.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert mentorship.note == "Help with MLOps?"
    again = alice_client.get(MENTORS_URL)
    assert token not in again.text
    assert "Invitation by link" in again.text


def test_the_link_is_on_the_address_the_engineer_uses_and_says_it_expires(
    alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            MENTORS_URL, {"email": "", "note": ""}, follow=True, SERVER_NAME="localhost"
        )

    link = LINK.search(response.text).group(0)
    assert link.startswith("http://localhost/mentoring/accept/")
    assert "works once and expires in 7 days" in response.text
    assert 'readonly value="' + link in response.text


def test_it_emails_the_invitation_through_the_celery_task(
    alice, alice_client, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    original = send_email.apply_async

    def spy(*args, **kwargs):
        calls.append(kwargs["kwargs"])
        return original(*args, **kwargs)

    monkeypatch.setattr(send_email, "apply_async", spy)

    token = _invite(
        alice_client,
        django_capture_on_commit_callbacks,
        email="mentor@example.com",
        note="Would you look at my churn model?",
    )

    assert [call["to"] for call in calls] == [["mentor@example.com"]]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mentor@example.com"]
    assert message.subject == "Alice invites you to mentor them on Cairn"
    assert "http://testserver" + _accept_url(token) in message.body
    assert "Would you look at my churn model?" in message.body
    actions = list(
        MentorshipEvent.objects.filter(mentorship__engineer=alice)
        .order_by("id")
        .values_list("action", "detail")
    )
    assert actions == [("invited", "for mentor@example.com"), ("emailed", "to mentor@example.com")]


def test_it_sends_the_email_only_after_the_request_commits(alice_client):
    alice_client.post(MENTORS_URL, {"email": "mentor@example.com", "note": ""})

    # The test client's transaction never commits, so the task was never enqueued.
    assert mail.outbox == []


def test_it_sends_no_email_for_a_link_invitation(alice_client, django_capture_on_commit_callbacks):
    _invite(alice_client, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert not MentorshipEvent.objects.filter(action="emailed").exists()


def test_it_keeps_what_was_typed_when_the_email_is_invalid(alice_client):
    response = alice_client.post(MENTORS_URL, {"email": "not-an-email", "note": "Please mentor"})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert 'value="not-an-email"' in response.text
    assert "Please mentor</textarea>" in response.text
    assert not Mentorship.objects.exists()


def test_it_refuses_to_invite_the_engineers_own_email(alice_client):
    response = alice_client.post(MENTORS_URL, {"email": "ALICE@example.com", "note": ""})

    assert response.status_code == 200
    assert "you cannot mentor yourself" in response.text
    assert not Mentorship.objects.exists()


# --- Accepting --------------------------------------------------------------------------------


def test_it_shows_the_invitation_to_someone_signed_out_with_links_back(client, alice):
    _, token = mentorship_invite(engineer=alice, note="Would you mentor me?")
    url = _accept_url(token)

    response = client.get(url)

    assert response.status_code == 200
    assert "Alice invites you to mentor them" in response.text
    assert "Would you mentor me?" in response.text
    assert f"{reverse('login')}?next={quote(url)}" in response.text
    assert f"{reverse('signup')}?next={quote(url)}" in response.text
    assert "Log in to accept" in response.text
    assert "Sign up to accept" in response.text


def test_it_shows_an_accept_button_to_someone_signed_in(bob_client, alice):
    _, token = mentorship_invite(engineer=alice)

    response = bob_client.get(_accept_url(token))

    assert response.status_code == 200
    assert f'action="{_accept_url(token)}"' in response.text
    assert "Accept and mentor Alice" in response.text
    assert not Mentorship.objects.active().exists()


def test_accepting_makes_the_mentorship_for_both_sides(client, alice, bob):
    _, token = mentorship_invite(engineer=alice)
    client.force_login(bob)

    response = client.post(_accept_url(token))

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_URL
    dashboard = client.get(DASHBOARD_URL)
    assert "You now mentor Alice" in dashboard.text
    assert reverse("mentoring:person", args=["alice"]) in dashboard.text
    client.force_login(alice)
    mentors = client.get(MENTORS_URL)
    assert "Bob" in mentors.text
    assert "mentor since" in mentors.text


def test_someone_signed_out_who_accepts_is_sent_to_log_in_and_back(client, alice, bob):
    _, token = mentorship_invite(engineer=alice)
    url = _accept_url(token)

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(url)}"
    login = client.post(
        response["Location"], {"username": "bob", "password": PASSWORD, "next": url}
    )
    assert login["Location"] == url
    assert not Mentorship.objects.active().exists()


def test_a_new_user_signs_up_and_comes_back_to_the_invitation(client, alice):
    _, token = mentorship_invite(engineer=alice)
    url = _accept_url(token)
    signup_page = client.get(f"{reverse('signup')}?next={quote(url)}")
    assert f'name="next" value="{url}"' in signup_page.text

    response = client.post(
        reverse("signup"),
        {
            "username": "dana",
            "email": "dana@example.com",
            "password1": "quiet lantern orbit 47",
            "password2": "quiet lantern orbit 47",
            "next": url,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url
    assert client.post(url).status_code == 302
    assert Mentorship.objects.active().get().mentor.username == "dana"


def test_signup_ignores_a_next_address_on_another_site(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "dana",
            "email": "dana@example.com",
            "password1": "quiet lantern orbit 47",
            "password2": "quiet lantern orbit 47",
            "next": "https://evil.example.com/",
        },
    )

    assert response["Location"] == reverse("milestones:plan")


def test_a_second_accept_gets_the_used_page(client, alice, bob, charlie):
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    client.force_login(charlie)

    for response in (client.get(_accept_url(token)), client.post(_accept_url(token))):
        assert response.status_code == 410
        assert "This invitation was already used" in response.text
    assert not Mentorship.objects.filter(mentor=charlie).exists()


def test_an_expired_link_gets_the_expired_page(bob_client, alice):
    mentorship, token = mentorship_invite(engineer=alice)
    Mentorship.objects.filter(pk=mentorship.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    for response in (bob_client.get(_accept_url(token)), bob_client.post(_accept_url(token))):
        assert response.status_code == 410
        assert "This invitation has expired" in response.text
    assert not Mentorship.objects.active().exists()


def test_a_link_still_works_on_its_seventh_day(bob_client, alice, monkeypatch):
    _, token = mentorship_invite(engineer=alice)
    later = timezone.now() + datetime.timedelta(days=6, hours=23)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert bob_client.post(_accept_url(token)).status_code == 302
    assert Mentorship.objects.active().filter(mentor__username="bob").exists()


def test_a_revoked_link_gets_the_withdrawn_page(bob_client, alice):
    mentorship, token = mentorship_invite(engineer=alice)
    mentorship_revoke(mentorship=mentorship, actor=alice)

    for response in (bob_client.get(_accept_url(token)), bob_client.post(_accept_url(token))):
        assert response.status_code == 410
        assert "This invitation was withdrawn" in response.text
    assert not Mentorship.objects.active().exists()


def test_a_forged_link_gets_the_not_valid_page(bob_client, alice):
    _, token = mentorship_invite(engineer=alice)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")

    for response in (bob_client.get(_accept_url(forged)), bob_client.post(_accept_url(forged))):
        assert response.status_code == 404
        assert "This invitation link is not valid" in response.text
    assert not Mentorship.objects.active().exists()


@pytest.mark.parametrize(
    "path_token",
    [
        "%00",
        "..",
        "%2e%2e",
        "%F0%9F%92%A9",
        "%FF%FE",
        "a%20b%3Cscript%3E",
        "'%22;--",
        "x" * 5000,
        "%C3%BC" * 60,
    ],
)
def test_odd_tokens_get_the_not_valid_page(client, bob, path_token):
    url = f"/mentoring/accept/{path_token}/"

    anonymous = client.get(url)
    client.force_login(bob)
    signed_in = [client.get(url), client.post(url)]

    for response in (anonymous, *signed_in):
        assert response.status_code == 404
        assert "This invitation link is not valid" in response.text
        assert "<script>" not in response.text


def test_the_engineer_cannot_accept_her_own_invitation(alice_client, alice):
    _, token = mentorship_invite(engineer=alice)

    page = alice_client.get(_accept_url(token))
    response = alice_client.post(_accept_url(token))

    assert page.status_code == 200
    assert "you cannot mentor yourself" in page.text
    assert "Accept and mentor" not in page.text
    assert response.status_code == 400
    assert "You cannot mentor yourself" in response.text
    assert not Mentorship.objects.active().exists()


def test_a_current_mentor_is_told_they_already_mentor(bob_client, alice, bob):
    _mentor(alice, bob)
    _, token = mentorship_invite(engineer=alice)

    page = bob_client.get(_accept_url(token))
    response = bob_client.post(_accept_url(token))

    assert page.status_code == 200
    assert "You already mentor Alice" in page.text
    assert response.status_code == 200
    assert "You already mentor Alice" in response.text
    assert reverse("mentoring:dashboard") in response.text
    assert Mentorship.objects.active().count() == 1
    assert Mentorship.objects.pending().count() == 1


# --- Revoking and the audit trail -------------------------------------------------------------


def test_revoking_ends_the_mentors_access_at_once(alice, alice_client, bob):
    mentorship = _mentor(alice, bob)
    shared = create_project(owner=alice, title="Shared churn model", visibility="mentors")
    assert Project.objects.visible_to(bob).filter(pk=shared.pk).exists()
    bob_client = Client()
    bob_client.force_login(bob)
    assert "Alice" in bob_client.get(DASHBOARD_URL).text

    response = alice_client.post(reverse("mentoring:revoke", args=[mentorship.pk]))

    assert response.status_code == 302
    assert response["Location"] == MENTORS_URL
    assert not Project.objects.visible_to(bob).filter(pk=shared.pk).exists()
    mentorship.refresh_from_db()
    assert mentorship.state == "revoked"
    assert "You do not mentor anyone yet" in bob_client.get(DASHBOARD_URL).text
    page = alice_client.get(MENTORS_URL)
    assert "Bob no longer mentors you" in page.text
    assert "Past mentors and invitations" in page.text


def test_revoking_a_pending_invitation_kills_its_link(alice, alice_client, bob):
    mentorship, token = mentorship_invite(engineer=alice)

    alice_client.post(reverse("mentoring:revoke", args=[mentorship.pk]))

    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.post(_accept_url(token)).status_code == 410
    assert not Mentorship.objects.active().exists()


def test_it_answers_404_for_someone_elses_mentorship(alice, bob, charlie, client):
    mentorship = _mentor(alice, bob)
    url = reverse("mentoring:revoke", args=[mentorship.pk])

    for user in (bob, charlie):
        client.force_login(user)
        assert client.post(url).status_code == 404

    mentorship.refresh_from_db()
    assert mentorship.state == "active"


def test_revoking_needs_a_post(alice_client, alice, bob):
    mentorship = _mentor(alice, bob)

    assert alice_client.get(reverse("mentoring:revoke", args=[mentorship.pk])).status_code == 405
    mentorship.refresh_from_db()
    assert mentorship.state == "active"


def test_the_audit_trail_shows_who_did_what_and_when(alice, alice_client, bob):
    mentorship, token = mentorship_invite(engineer=alice, email="bob@example.com")
    mentorship_accept(token=token, mentor=bob)
    alice_client.post(reverse("mentoring:revoke", args=[mentorship.pk]))

    page = alice_client.get(MENTORS_URL).text

    rows = re.findall(r'<tr data-testid="audit-row">(.*?)</tr>', page, re.S)
    assert len(rows) == 3
    events = {e.action: e for e in MentorshipEvent.objects.filter(mentorship=mentorship)}
    expected = [("revoked", "Alice"), ("accepted", "Bob"), ("invited", "Alice")]
    for row, (action, actor) in zip(rows, expected, strict=True):
        assert action in row
        assert f"<td>{actor}</td>" in row
        assert timezone.localtime(events[action].at).strftime("%b %-d, %Y %H:%M") in row
    assert "invited for bob@example.com" in rows[2]


def test_the_audit_trail_shows_only_the_engineers_own_mentorships(alice, alice_client, bob):
    _mentor(bob, alice)

    page = alice_client.get(MENTORS_URL).text

    assert 'data-testid="audit-row"' not in page
    assert "No mentors yet" in page
