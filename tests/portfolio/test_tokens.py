"""Personal access tokens: shown once, stored hashed, scoped to their user, revocable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.api.tokens import token_authenticate, token_create, token_revoke
from portfolio.models import ApiToken


@pytest.mark.django_db
def test_it_shows_a_new_token_once_and_stores_only_its_hash(alice_client, alice):
    response = alice_client.post(reverse("api-tokens"), {"name": "training cluster"})
    assert response.status_code == 200
    shown = response.context["new_token"]
    assert shown.startswith("cairn_")
    assert shown in response.text
    token = ApiToken.objects.get(user=alice)
    assert token.name == "training cluster"
    secret = shown.split("_", 2)[2]
    assert secret not in token.secret_hash
    assert shown not in alice_client.get(reverse("api-tokens")).text


@pytest.mark.django_db
def test_it_authenticates_the_real_token_and_nothing_else(alice):
    token, raw = token_create(user=alice, name="laptop")
    assert token_authenticate(raw=raw) == token
    assert token_authenticate(raw=raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert token_authenticate(raw="cairn_" + token.prefix + "_forged") is None
    assert token_authenticate(raw="cairn_deadbeef_" + raw.split("_", 2)[2]) is None
    assert token_authenticate(raw="") is None
    assert token_authenticate(raw="Bearer " + raw) is None


@pytest.mark.django_db
def test_a_revoked_token_authenticates_nothing(alice):
    token, raw = token_create(user=alice, name="old box")
    token_revoke(token=token)
    assert token_authenticate(raw=raw) is None


@pytest.mark.django_db
def test_it_refuses_a_token_without_a_name_and_keeps_the_page(alice_client, alice):
    response = alice_client.post(reverse("api-tokens"), {"name": "   "})
    assert response.status_code == 200
    assert "Give the token a name" in response.text
    assert not ApiToken.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_only_the_owner_can_revoke_a_token(alice, bob_client):
    token, raw = token_create(user=alice, name="laptop")
    response = bob_client.post(reverse("api-token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_authenticate(raw=raw) == token


@pytest.mark.django_db
def test_the_owner_revokes_a_token_from_the_settings_page(alice_client, alice):
    token, raw = token_create(user=alice, name="laptop")
    response = alice_client.post(reverse("api-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(raw=raw) is None
    page = alice_client.get(reverse("api-tokens")).text
    assert "revoked" in page


@pytest.mark.django_db
def test_the_tokens_page_needs_a_login(client):
    response = client.get(reverse("api-tokens"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_it_lists_only_the_users_own_tokens(alice_client, bob):
    token_create(user=bob, name="bobs secret machine")
    assert "bobs secret machine" not in alice_client.get(reverse("api-tokens")).text
