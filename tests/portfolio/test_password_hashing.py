"""Passwords are hashed with Argon2id at OWASP's login parameters outside the tests, and older
hashes (PBKDF2, Django's heavier Argon2 defaults) still sign in and are rewritten."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.urls import reverse

from portfolio.settings import base

ARGON2 = "portfolio.accounts.hashers.CairnArgon2PasswordHasher"
DJANGO_ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_the_site_hashes_new_passwords_with_argon2(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS

    encoded = make_password("correct horse battery staple")

    assert base.PASSWORD_HASHERS[0] == ARGON2
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("correct horse battery staple", encoded)
    assert not check_password("wrong", encoded)


@pytest.mark.django_db
def test_a_password_hashed_with_pbkdf2_still_signs_in_and_is_rehashed(settings, client):
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = [PBKDF2]
    user = UserFactory(username="old")
    user.set_password("an older password 1")
    user.save()
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS

    response = client.post(reverse("login"), {"username": "old", "password": "an older password 1"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


@pytest.mark.django_db
def test_a_password_hashed_with_djangos_argon2_defaults_signs_in_and_gets_the_lighter_cost(
    settings, client
):
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = [DJANGO_ARGON2]
    user = UserFactory(username="heavy")
    user.set_password("a heavier password 1")
    user.save()
    assert "m=102400,t=2,p=8" in user.password
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS

    response = client.post(
        reverse("login"), {"username": "heavy", "password": "a heavier password 1"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert "$m=19456,t=2,p=1$" in user.password
    assert check_password("a heavier password 1", user.password)
