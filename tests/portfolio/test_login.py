from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD

LOGIN_URL = reverse("login")
LOGOUT_URL = reverse("logout")
PLAN_URL = reverse("milestones:plan")
WRONG = "Please enter a correct username and password."
LOCKED = "Too many failed log-ins"


def _login(client, username: str, password: str, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_shows_the_login_form(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text


def test_it_logs_in_with_the_right_password_and_opens_the_plan(client, alice):
    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == PLAN_URL
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_follows_a_safe_next_after_login(client, alice):
    response = _login(client, "alice", PASSWORD, next=reverse("profile"))

    assert response["Location"] == reverse("profile")


def test_it_ignores_a_next_that_leaves_the_site(client, alice):
    response = _login(client, "alice", PASSWORD, next="https://evil.example/")

    assert response["Location"] == PLAN_URL


def test_it_refuses_a_wrong_password_with_a_message(client, alice):
    response = _login(client, "alice", "not the password")

    assert response.status_code == 200
    assert WRONG in response.text
    assert 'value="alice"' in response.text
    assert not _signed_in(client)


def test_it_refuses_an_unknown_username_with_the_same_message(client, db):
    response = _login(client, "nobody", PASSWORD)

    assert response.status_code == 200
    assert WRONG in response.text
    assert not _signed_in(client)


def test_it_logs_out_with_a_post(alice_client):
    response = alice_client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not _signed_in(alice_client)
    assert alice_client.get(reverse("profile")).status_code == 302


def test_it_does_not_log_out_on_a_get(alice_client):
    response = alice_client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert _signed_in(alice_client)


def test_it_offers_a_logout_form_to_someone_signed_in(alice_client):
    response = alice_client.get(reverse("profile"))

    assert f'<form method="post" action="{LOGOUT_URL}">' in response.text


# --- Lockout (django-axes) ---------------------------------------------------------------------


def test_it_locks_a_username_out_after_five_wrong_passwords(client, alice):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = _login(client, "alice", "wrong")
        assert response.status_code == 200
        assert WRONG in response.text

    # The fifth failure reaches the limit, and its own answer is already the locked-out page.
    fifth = _login(client, "alice", "wrong")
    assert fifth.status_code == 429
    assert LOCKED in fifth.text

    sixth = _login(client, "alice", PASSWORD)

    assert sixth.status_code == 429
    assert LOCKED in sixth.text
    assert "reset your password" in sixth.text
    assert not _signed_in(client)


def test_it_does_not_lock_out_before_the_limit(client, alice):
    for _ in range(4):
        _login(client, "alice", "wrong")

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_it_forgets_earlier_failures_after_a_successful_login(client, alice):
    for _ in range(4):
        _login(client, "alice", "wrong")
    _login(client, "alice", PASSWORD)
    client.post(LOGOUT_URL)

    for _ in range(4):
        assert _login(client, "alice", "wrong").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_it_still_lets_another_username_log_in_from_the_same_address(client, alice, bob):
    for _ in range(5):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 429

    response = _login(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_it_still_lets_the_same_username_log_in_from_another_address(client, alice):
    for _ in range(5):
        client.post(
            LOGIN_URL, {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.7"
        )

    locked = client.post(
        LOGIN_URL, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    elsewhere = client.post(
        LOGIN_URL, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.9"
    )

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


# --- Lockout behind reverse proxies -------------------------------------------------------------
# Through proxies every request comes from a proxy's socket address; the client is the entry
# each proxy appended to X-Forwarded-For. An attacker may send a forged header of its own, which
# the proxies extend: only the right-most AXES_PROXY_COUNT entries are trusted.

PROXY = "10.0.0.2"  # the proxy next to the app: REMOTE_ADDR of every request
EDGE = "192.0.2.10"  # an outer proxy (a CDN) in front of it
ATTACKER = "198.51.100.66"
ALICE_HOME = "203.0.113.7"


def _through_proxies(client, password: str, *, client_ip: str, proxies: int, forged: str = ""):
    """A login as the proxies deliver it: each appended the address it was reached from."""
    hops = [forged] if forged else []
    hops.append(client_ip)
    if proxies == 2:
        hops.append(EDGE)
    return client.post(
        LOGIN_URL,
        {"username": "alice", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=", ".join(hops),
    )


@pytest.mark.parametrize("proxies", [1, 2])
def test_a_locked_attacker_behind_proxies_does_not_lock_alice_out(client, alice, settings, proxies):
    settings.CAIRN_PROXY_COUNT = proxies
    for _ in range(5):
        _through_proxies(client, "wrong", client_ip=ATTACKER, proxies=proxies)

    attacker = _through_proxies(client, PASSWORD, client_ip=ATTACKER, proxies=proxies)
    # Forging alice's address in front of its own does not move the attacker.
    forged = _through_proxies(
        client, PASSWORD, client_ip=ATTACKER, proxies=proxies, forged=ALICE_HOME
    )
    alice_login = _through_proxies(client, PASSWORD, client_ip=ALICE_HOME, proxies=proxies)

    assert attacker.status_code == 429
    assert forged.status_code == 429
    assert alice_login.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_without_proxies_a_forged_header_does_not_escape_the_lockout(client, alice, settings):
    settings.CAIRN_PROXY_COUNT = 0
    for attempt in range(5):
        client.post(
            LOGIN_URL,
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR=ALICE_HOME,
    )

    assert response.status_code == 429


def test_a_request_that_skips_a_proxy_is_judged_by_its_socket_address(client, alice, settings):
    settings.CAIRN_PROXY_COUNT = 2
    for _ in range(5):
        # Reached the app through one proxy only: the header is too short to trust.
        client.post(
            LOGIN_URL,
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=ALICE_HOME,
        )

    attacker = client.post(
        LOGIN_URL, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    alice_login = _through_proxies(client, PASSWORD, client_ip=ALICE_HOME, proxies=2)

    assert attacker.status_code == 429
    assert alice_login.status_code == 302
