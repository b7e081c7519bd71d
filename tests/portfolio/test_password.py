from __future__ import annotations

import datetime
import re
from urllib.parse import quote, urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from outbox.models import OutboxTask
from portfolio.tasks import send_email
from tests.factories import PASSWORD

CHANGE_URL = reverse("password_change")
RESET_URL = reverse("password_reset")
NEW_PASSWORD = "granite meadow sparrow 91"
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)")


def _login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _ask_for_reset(client, email: str, django_capture_on_commit_callbacks):
    # The email task is enqueued on commit; eager Celery then sends it in-process.
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(RESET_URL, {"email": email})


def _reset_path(message) -> str:
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match.group(1)


# --- Change -----------------------------------------------------------------------------------


def test_it_sends_someone_signed_out_from_password_change_to_login(client, db):
    response = client.get(CHANGE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(CHANGE_URL)}"


def test_it_shows_the_password_change_form(alice_client):
    response = alice_client.get(CHANGE_URL)

    assert response.status_code == 200
    assert 'name="old_password"' in response.text
    assert 'name="new_password1"' in response.text


def test_it_changes_the_password_and_keeps_the_user_signed_in(alice, alice_client):
    response = alice_client.post(
        CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert "Your password was changed." in alice_client.get(response["Location"]).text
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice_client.get(reverse("profile")).status_code == 200


def test_it_lets_the_user_log_in_with_the_changed_password_only(alice, alice_client, client):
    alice_client.post(
        CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    alice_client.post(reverse("logout"))

    assert _login(alice_client, "alice", PASSWORD).status_code == 200
    assert _login(alice_client, "alice", NEW_PASSWORD).status_code == 302


def test_it_refuses_a_wrong_old_password(alice, alice_client):
    response = alice_client.post(
        CHANGE_URL,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_refuses_a_weak_new_password(alice, alice_client):
    response = alice_client.post(
        CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- Reset ------------------------------------------------------------------------------------


def test_it_sends_exactly_one_reset_email(client, alice, django_capture_on_commit_callbacks):
    response = _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your Cairn password"
    assert "Hello alice," in message.body
    assert _reset_path(message)


def test_it_sends_the_reset_email_through_the_celery_task(
    client, alice, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    original = send_email.apply_async

    def spy(*args, **kwargs):
        calls.append(kwargs["kwargs"])
        return original(*args, **kwargs)

    monkeypatch.setattr(send_email, "apply_async", spy)

    _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)

    assert [call["to"] for call in calls] == [["alice@example.com"]]
    assert calls[0]["subject"] == "Reset your Cairn password"
    assert len(mail.outbox) == 1
    assert not OutboxTask.objects.exists()  # sent, so nothing waits


def test_it_finds_the_account_whatever_the_case_of_the_email(
    client, alice, django_capture_on_commit_callbacks
):
    _ask_for_reset(client, "Alice@Example.com", django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]


def test_it_sends_the_reset_email_only_after_the_request_commits(client, alice):
    # Without the commit (the test's transaction stays open) nothing is sent.
    client.post(RESET_URL, {"email": "alice@example.com"})

    assert mail.outbox == []


def test_it_sets_a_new_password_through_the_emailed_link(
    client, alice, django_capture_on_commit_callbacks
):
    _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    link = _reset_path(mail.outbox[0])

    # Django swaps the token in the link for one kept in the session, so it never leaks.
    landing = client.get(link)
    assert landing.status_code == 302
    form_url = landing["Location"]
    assert urlsplit(form_url).path.endswith("/set-password/")
    page = client.get(form_url)
    assert page.status_code == 200
    assert "Choose a new password" in page.text
    assert 'name="new_password1"' in page.text

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert "Your new password is set." in client.get(done["Location"]).text
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert _login(client, "alice", NEW_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_refuses_a_reset_link_a_second_time(client, alice, django_capture_on_commit_callbacks):
    _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    link = _reset_path(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert "This reset link is invalid or was used already." in again.text
    assert 'name="new_password1"' not in again.text


def test_it_refuses_a_forged_reset_link(client, alice):
    response = client.get(
        reverse("password_reset_confirm", args=["MQ", "abc-0123456789abcdef"]), follow=True
    )

    assert "This reset link is invalid or was used already." in response.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_sends_nothing_for_an_unknown_email_but_answers_the_same(
    client, alice, django_capture_on_commit_callbacks
):
    known = _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    unknown = _ask_for_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert "Check your email" in client.get(unknown["Location"]).text


def test_it_sends_nothing_to_an_inactive_account(client, alice, django_capture_on_commit_callbacks):
    alice.is_active = False
    alice.save()

    _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_the_send_email_task_sends_one_plain_text_email(settings):
    result = send_email.apply(
        kwargs={"subject": "Hello", "body": "Body text", "to": ["alice@example.com"]}
    )

    assert result.successful()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Hello"
    assert message.body == "Body text"
    assert message.to == ["alice@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_it_refuses_a_reset_request_without_a_valid_email(client, db, email):
    response = client.post(RESET_URL, {"email": email})

    assert response.status_code == 200
    assert mail.outbox == []


# --- Limits -----------------------------------------------------------------------------------


def _change(client, old: str):
    return client.post(
        CHANGE_URL,
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_it_stops_testing_current_passwords_after_five_wrong_ones(alice, alice_client, clock):
    for _ in range(5):
        assert "Your old password was entered incorrectly." in _change(alice_client, "wrong").text

    paused = _change(alice_client, PASSWORD)

    assert paused.status_code == 200
    assert "Too many wrong current passwords. Try again in 15 minutes" in paused.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    clock.shift(datetime.timedelta(minutes=16))
    assert _change(alice_client, PASSWORD).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_one_users_wrong_guesses_do_not_pause_another_user(alice_client, bob, client):
    for _ in range(5):
        _change(alice_client, "wrong")
    client.force_login(bob)

    assert _change(client, PASSWORD).status_code == 302


def test_it_sends_at_most_three_reset_emails_an_hour_and_answers_the_same(
    client, alice, bob, clock, django_capture_on_commit_callbacks
):
    answers = [
        _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
        for _ in range(20)
    ]

    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))
    }
    assert len(mail.outbox) == 3
    # Another account is not held back by alice's.
    _ask_for_reset(client, "bob@example.com", django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox[3:]] == [["bob@example.com"]]

    clock.shift(datetime.timedelta(hours=1))
    _ask_for_reset(client, "Alice@Example.com", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 5


def test_an_unknown_address_answers_like_a_limited_one(
    client, alice, django_capture_on_commit_callbacks
):
    for _ in range(4):
        limited = _ask_for_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    unknown = _ask_for_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert (limited.status_code, limited["Location"]) == (unknown.status_code, unknown["Location"])

    def page(url: str) -> str:
        text = client.get(url).text
        return text[text.index('<main id="main"') : text.index("</main>")]

    assert page(limited["Location"]) == page(unknown["Location"])


def test_the_limits_let_requests_through_when_the_cache_is_down(alice, alice_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    for _ in range(6):
        assert _change(alice_client, "wrong").status_code == 200

    assert _change(alice_client, PASSWORD).status_code == 302
