from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

PROFILE_URL = reverse("profile")
BIO_PREVIEW_URL = reverse("profile-bio-preview")
FORM = {"slug": "alice", "display_name": "Changed", "links": ""}


@pytest.fixture
def strict_client(alice) -> Client:
    """A client that checks CSRF tokens the way a browser's requests are checked."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def _form_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def _hx_headers_token(html: str) -> str:
    match = re.search(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", html)
    assert match, "no CSRF token in <body hx-headers>"
    return match.group(1)


def test_it_refuses_a_profile_post_without_a_token_and_changes_nothing(alice, strict_client):
    strict_client.get(PROFILE_URL)

    response = strict_client.post(PROFILE_URL, FORM)

    assert response.status_code == 403
    assert "This form expired" in response.text
    alice.profile.refresh_from_db()
    assert alice.profile.display_name == "Alice"


def test_it_refuses_a_profile_post_with_a_wrong_token(alice, strict_client):
    strict_client.get(PROFILE_URL)

    response = strict_client.post(PROFILE_URL, {**FORM, "csrfmiddlewaretoken": "x" * 64})

    assert response.status_code == 403
    alice.profile.refresh_from_db()
    assert alice.profile.display_name == "Alice"


def test_it_accepts_a_profile_post_with_the_token_from_the_form(alice, strict_client):
    page = strict_client.get(PROFILE_URL)

    response = strict_client.post(
        PROFILE_URL, {**FORM, "csrfmiddlewaretoken": _form_token(page.text)}
    )

    assert response.status_code == 302
    alice.profile.refresh_from_db()
    assert alice.profile.display_name == "Changed"


def test_it_refuses_an_htmx_post_without_the_header(strict_client, htmx_headers):
    strict_client.get(PROFILE_URL)

    response = strict_client.post(BIO_PREVIEW_URL, {"bio": "**hi**"}, headers=htmx_headers)

    assert response.status_code == 403


def test_it_accepts_an_htmx_post_with_the_cookie_token_in_a_header(strict_client, htmx_headers):
    strict_client.get(PROFILE_URL)
    token = strict_client.cookies["csrftoken"].value

    response = strict_client.post(
        BIO_PREVIEW_URL, {"bio": "**hi**"}, headers={**htmx_headers, "X-CSRFToken": token}
    )

    assert response.status_code == 200
    assert "<strong>hi</strong>" in response.text


def test_it_accepts_an_htmx_post_with_the_token_base_html_puts_in_hx_headers(
    strict_client, htmx_headers
):
    page = strict_client.get(PROFILE_URL)
    token = _hx_headers_token(page.text)

    response = strict_client.post(
        BIO_PREVIEW_URL, {"bio": "**hi**"}, headers={**htmx_headers, "X-CSRFToken": token}
    )

    assert response.status_code == 200
    assert "<strong>hi</strong>" in response.text


def test_it_refuses_a_logout_without_a_token(alice, strict_client):
    strict_client.get(PROFILE_URL)

    response = strict_client.post(reverse("logout"))

    assert response.status_code == 403
    assert strict_client.get(PROFILE_URL).status_code == 200


def test_it_refuses_a_login_post_without_a_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
