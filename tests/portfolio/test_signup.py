from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portfolio.models import SLUG_PATTERN, Profile

User = get_user_model()

SIGNUP_URL = reverse("signup")
PLAN_URL = reverse("milestones:plan")
GOOD_PASSWORD = "quiet lantern orbit 47"


def _signup(client, **overrides):
    data = {
        "username": "dana",
        "email": "dana@example.com",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        **overrides,
    }
    return client.post(SIGNUP_URL, data)


@pytest.mark.django_db
def test_it_shows_the_signup_form(client):
    response = client.get(SIGNUP_URL)

    assert response.status_code == 200
    assert "Create your account" in response.text
    assert 'name="username"' in response.text
    assert 'name="email"' in response.text


@pytest.mark.django_db
def test_it_creates_the_account_logs_in_and_opens_the_plan(client):
    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == PLAN_URL
    user = User.objects.get(username="dana")
    assert user.email == "dana@example.com"
    assert user.check_password(GOOD_PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_it_gives_the_new_account_a_private_profile_named_after_the_username(client):
    _signup(client)

    profile = Profile.objects.get(user__username="dana")
    assert profile.slug == "dana"
    assert profile.display_name == "dana"
    assert profile.is_public is False


@pytest.mark.django_db
def test_it_welcomes_the_new_engineer_on_the_next_page(client):
    response = _signup(client)

    page = client.get(response["Location"], follow=True)

    assert "Welcome to Cairn" in page.text


@pytest.mark.django_db
def test_it_stores_the_email_in_lower_case(client):
    _signup(client, email="Dana@Example.COM")

    assert User.objects.get(username="dana").email == "dana@example.com"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "slug"),
    [
        ("Dana_Smith", "dana-smith"),
        ("j.doe", "j-doe"),
        ("al", "al-ml"),
        ("admin", "admin-2"),
        ("a" * 33 + "_x", "a" * 33),
        ("a" * 34 + ".x", "a" * 34),
    ],
)
def test_it_derives_a_valid_free_slug_from_any_username(client, username, slug):
    response = _signup(client, username=username, email="someone@example.com")

    assert response.status_code == 302
    profile = Profile.objects.get(user__username=username)
    assert profile.slug == slug
    assert re.match(SLUG_PATTERN, profile.slug)


@pytest.mark.django_db
def test_it_gives_a_taken_slug_a_number(client, alice):
    _signup(client, username="alice_", email="other-alice@example.com")

    assert Profile.objects.get(user__username="alice_").slug == "alice-2"


@pytest.mark.django_db
def test_it_lets_a_new_engineer_save_their_profile_without_touching_the_slug(client):
    # A slug the user never chose must not stop them from saving the rest of their profile.
    username = "a" * 33 + "_x"
    _signup(client, username=username, email="long@example.com")
    profile = Profile.objects.get(user__username=username)

    response = client.post(
        reverse("profile"), {"slug": profile.slug, "display_name": "Long Name", "links": ""}
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.display_name == "Long Name"


@pytest.mark.django_db
def test_it_fits_a_long_username_into_the_display_name(client):
    # Usernames may have 150 characters, display names 80; PostgreSQL refuses the overflow.
    username = "n" * 150
    response = _signup(client, username=username, email="long@example.com")

    assert response.status_code == 302
    profile = Profile.objects.get(user__username=username)
    assert profile.display_name == "n" * 80
    profile.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("83920174652", "This password is entirely numeric."),
        ("dana@example", "The password is too similar to the email address."),
    ],
    ids=["short", "common", "numeric", "like-email"],
)
def test_it_refuses_a_weak_password_with_the_validators_message(client, password, message):
    response = _signup(client, password1=password, password2=password)

    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.filter(username="dana").exists()
    assert not Profile.objects.exists()


@pytest.mark.django_db
def test_it_refuses_passwords_that_do_not_match(client):
    response = _signup(client, password2=GOOD_PASSWORD + "!")

    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.text
    assert not User.objects.filter(username="dana").exists()


@pytest.mark.django_db
def test_it_keeps_the_typed_username_and_email_but_not_the_password(client):
    response = _signup(client, password1="password123", password2="password123")

    assert 'name="username" value="dana"' in response.text
    assert 'value="dana@example.com"' in response.text
    assert "password123" not in response.text


@pytest.mark.django_db
def test_it_refuses_an_email_that_has_an_account_already(client, alice):
    response = _signup(client, email="ALICE@example.com")

    assert response.status_code == 200
    assert "An account with this email exists already. Log in instead?" in response.text
    assert not User.objects.filter(username="dana").exists()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_username_that_is_taken(client, alice):
    response = _signup(client, username="alice")

    assert response.status_code == 200
    assert "A user with that username already exists." in response.text
    assert User.objects.filter(username="alice").count() == 1


def test_it_sends_someone_signed_in_to_their_plan(alice_client):
    assert alice_client.get(SIGNUP_URL)["Location"] == PLAN_URL

    response = _signup(alice_client)

    assert response.status_code == 302
    assert response["Location"] == PLAN_URL
    assert not User.objects.filter(username="dana").exists()
