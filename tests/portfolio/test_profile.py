from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portfolio.models import Profile

PROFILE_URL = reverse("profile")
SLUG_CHECK_URL = reverse("profile-slug-check")
BIO_PREVIEW_URL = reverse("profile-bio-preview")


def _form(**overrides) -> dict:
    """Everything the profile form sends; a checkbox left out is unticked."""
    data = {
        "slug": "alice",
        "display_name": "Alice Liddell",
        "headline": "ML engineer, ranking and retrieval",
        "bio": "I build **search** systems.",
        "links": "https://github.com/alice\nhttps://alice.dev/papers",
        "open_to_work": "on",
        "is_public": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _snapshot(profile: Profile) -> tuple:
    profile.refresh_from_db()
    return (
        profile.slug,
        profile.display_name,
        profile.headline,
        profile.bio,
        profile.links,
        profile.open_to_work,
        profile.is_public,
    )


def _login_redirect(path: str) -> str:
    return f"{reverse('login')}?next={quote(path)}"


# --- Signed out --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROFILE_URL, f"{SLUG_CHECK_URL}?slug=abc"])
def test_it_sends_someone_signed_out_to_login_for_a_get(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == _login_redirect(url)


def test_it_sends_someone_signed_out_to_login_for_a_post_and_changes_nothing(client, alice):
    before = _snapshot(alice.profile)

    response = client.post(PROFILE_URL, _form(display_name="Mallory"))

    assert response.status_code == 302
    assert response["Location"] == _login_redirect(PROFILE_URL)
    assert _snapshot(alice.profile) == before


def test_it_sends_someone_signed_out_from_bio_preview_to_login(client, db):
    response = client.post(BIO_PREVIEW_URL, {"bio": "**hi**"})

    assert response.status_code == 302
    assert response["Location"] == _login_redirect(BIO_PREVIEW_URL)


# --- The owner ---------------------------------------------------------------------------------


def test_it_shows_the_owner_their_profile_form(alice_client):
    response = alice_client.get(PROFILE_URL)

    assert response.status_code == 200
    assert "Your profile" in response.text
    assert 'value="alice"' in response.text
    assert 'value="Alice"' in response.text
    assert "Your profile is <strong>private</strong>" in response.text


def test_it_creates_a_profile_for_an_account_made_outside_signup(client, db):
    user = get_user_model().objects.create_user(username="erin", password="x")
    client.force_login(user)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert Profile.objects.get(user=user).slug == "erin"


def test_it_saves_every_field_the_owner_edits(alice, alice_client):
    response = alice_client.post(PROFILE_URL, _form(slug="alice-l"))

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    profile = alice.profile
    profile.refresh_from_db()
    assert profile.slug == "alice-l"
    assert profile.display_name == "Alice Liddell"
    assert profile.headline == "ML engineer, ranking and retrieval"
    assert profile.bio == "I build **search** systems."
    assert profile.links == ["https://github.com/alice", "https://alice.dev/papers"]
    assert profile.open_to_work is True
    assert profile.is_public is True


def test_it_confirms_the_save_and_shows_the_profile_as_public(alice_client):
    response = alice_client.post(PROFILE_URL, _form(), follow=True)

    assert "Profile saved." in response.text
    assert "Your profile is <strong>public</strong>" in response.text
    assert "<strong>search</strong>" in response.text


def test_it_unticks_checkboxes_left_out_of_the_form(alice, alice_client):
    alice_client.post(PROFILE_URL, _form())

    alice_client.post(PROFILE_URL, _form(open_to_work=None, is_public=None))

    alice.profile.refresh_from_db()
    assert alice.profile.open_to_work is False
    assert alice.profile.is_public is False


def test_it_stores_links_one_per_line_skipping_blank_lines(alice, alice_client):
    links = "  https://github.com/alice  \r\n\r\nhttp://example.org/blog\n"

    alice_client.post(PROFILE_URL, _form(links=links))

    alice.profile.refresh_from_db()
    assert alice.profile.links == ["https://github.com/alice", "http://example.org/blog"]


def test_it_shows_saved_links_back_one_per_line(alice, alice_client):
    alice_client.post(PROFILE_URL, _form())

    response = alice_client.get(PROFILE_URL)

    assert "https://github.com/alice\nhttps://alice.dev/papers</textarea>" in response.text


def test_it_clears_the_links_when_the_field_is_emptied(alice, alice_client):
    alice_client.post(PROFILE_URL, _form())

    alice_client.post(PROFILE_URL, _form(links=""))

    alice.profile.refresh_from_db()
    assert alice.profile.links == []


@pytest.mark.parametrize(
    "bad",
    ["not a url", "javascript:alert(1)", "ftp://files.example.com/x", "github.com/alice"],
)
def test_it_refuses_a_line_that_is_not_a_web_address_and_saves_nothing(alice, alice_client, bad):
    before = _snapshot(alice.profile)
    typed = f"https://github.com/alice\n{bad}"

    response = alice_client.post(PROFILE_URL, _form(links=typed, display_name="Changed"))

    assert response.status_code == 200
    assert f"“{bad}” is not a web address (http:// or https://)." in response.text
    assert _snapshot(alice.profile) == before
    # What was typed comes back, so that nothing needs retyping.
    assert f"https://github.com/alice\n{bad}</textarea>" in response.text
    assert 'value="Changed"' in response.text


def test_it_refuses_more_than_eight_links(alice, alice_client):
    before = _snapshot(alice.profile)
    links = "\n".join(f"https://example.com/{n}" for n in range(9))

    response = alice_client.post(PROFILE_URL, _form(links=links))

    assert response.status_code == 200
    assert "At most 8 links." in response.text
    assert _snapshot(alice.profile) == before


def test_it_keeps_calling_a_private_profile_private_after_a_refused_save(alice, alice_client):
    response = alice_client.post(PROFILE_URL, _form(links="nope", is_public="on"))

    assert response.status_code == 200
    assert "Your profile is <strong>private</strong>" in response.text
    # The ticked box stays ticked, so that saving again after the fix makes it public.
    assert re.search(r'<input type="checkbox" name="is_public"[^>]* checked', response.text)


@pytest.mark.parametrize(
    ("field", "limit"), [("display_name", 80), ("headline", 140), ("slug", 40)]
)
def test_it_refuses_text_longer_than_the_field_holds(alice, alice_client, field, limit):
    before = _snapshot(alice.profile)

    response = alice_client.post(PROFILE_URL, _form(**{field: "a" * (limit + 1)}))

    assert response.status_code == 200
    assert f"Ensure this value has at most {limit} characters" in response.text
    assert _snapshot(alice.profile) == before


# --- Slugs -------------------------------------------------------------------------------------


def test_it_lowercases_the_slug(alice, alice_client):
    alice_client.post(PROFILE_URL, _form(slug="  Alice-ML  "))

    alice.profile.refresh_from_db()
    assert alice.profile.slug == "alice-ml"


def test_it_lets_the_owner_keep_their_own_slug(alice, alice_client):
    response = alice_client.post(PROFILE_URL, _form(slug="alice"))

    assert response.status_code == 302


@pytest.mark.parametrize("slug", ["alice", "ALICE"])
def test_it_refuses_a_slug_someone_else_has(alice, bob, bob_client, slug):
    before_alice, before_bob = _snapshot(alice.profile), _snapshot(bob.profile)

    response = bob_client.post(PROFILE_URL, _form(slug=slug, display_name="Bob B"))

    assert response.status_code == 200
    assert f"“{slug.lower()}” is not available; pick another." in response.text
    assert _snapshot(alice.profile) == before_alice
    assert _snapshot(bob.profile) == before_bob


@pytest.mark.parametrize("slug", ["admin", "accounts", "settings", "Login"])
def test_it_refuses_a_reserved_slug(alice, alice_client, slug):
    before = _snapshot(alice.profile)

    response = alice_client.post(PROFILE_URL, _form(slug=slug))

    assert response.status_code == 200
    assert f"“{slug.lower()}” is not available; pick another." in response.text
    assert _snapshot(alice.profile) == before


@pytest.mark.parametrize(
    "slug", ["al", "alice smith", "alice_smith", "-alice", "alice-", "alïce", "alice/../x", "a.b.c"]
)
def test_it_refuses_a_slug_with_bad_characters_or_length(alice, alice_client, slug):
    before = _snapshot(alice.profile)

    response = alice_client.post(PROFILE_URL, _form(slug=slug))

    assert response.status_code == 200
    assert "Use 3 to 40 lowercase letters, digits or hyphens" in response.text
    assert _snapshot(alice.profile) == before
    assert 'class="error" role="alert"' in response.text


def test_it_refuses_an_empty_slug(alice, alice_client):
    before = _snapshot(alice.profile)

    response = alice_client.post(PROFILE_URL, _form(slug=""))

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert _snapshot(alice.profile) == before


# --- Slug check (htmx) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "css", "message"),
    [
        ("alice-ml", "ok", "“alice-ml” is available."),
        ("alice", "ok", "“alice” is available."),
        ("bob", "error", "“bob” is not available; pick another."),
        ("BOB", "error", "“bob” is not available; pick another."),
        ("admin", "error", "“admin” is not available; pick another."),
        ("no spaces", "error", "Use 3 to 40 lowercase letters, digits or hyphens."),
        ("", "error", "Use 3 to 40 lowercase letters, digits or hyphens."),
    ],
    ids=["free", "own", "taken", "taken-upper", "reserved", "invalid", "empty"],
)
def test_it_answers_a_slug_check_with_the_small_fragment_for_htmx(
    alice_client, bob, htmx_headers, slug, css, message
):
    response = alice_client.get(SLUG_CHECK_URL, {"slug": slug}, headers=htmx_headers)

    assert response.status_code == 200
    text = response.text.strip()
    assert text.startswith('<p id="slug-status"')
    assert f'class="help {css}"' in text
    assert message in text
    assert "<html" not in text
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("slug", "message"),
    [("alice-ml", "“alice-ml” is available."), ("bob", "“bob” is not available; pick another.")],
)
def test_it_answers_a_slug_check_without_htmx_with_a_full_page(alice_client, bob, slug, message):
    response = alice_client.get(SLUG_CHECK_URL, {"slug": slug})

    assert response.status_code == 200
    assert "<html" in response.text
    assert message in response.text
    assert f'href="{PROFILE_URL}"' in response.text
    assert "HX-Request" in response["Vary"]


def test_it_refuses_a_post_to_the_slug_check(alice_client):
    assert alice_client.post(SLUG_CHECK_URL, {"slug": "x"}).status_code == 405


def test_it_wires_the_slug_field_to_the_slug_check(alice_client):
    response = alice_client.get(PROFILE_URL)

    assert f'hx-get="{SLUG_CHECK_URL}"' in response.text
    assert 'hx-target="#slug-status"' in response.text
    assert '<p id="slug-status"' in response.text


# --- Bio preview -------------------------------------------------------------------------------


def test_it_previews_the_bio_as_markdown(alice_client, htmx_headers):
    response = alice_client.post(
        BIO_PREVIEW_URL,
        {"bio": "I like **evals**.\n\n- one\n- two\n\n[site](https://alice.dev)"},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    text = response.text.strip()
    assert text.startswith('<div id="bio-preview"')
    assert "<html" not in text
    assert "<strong>evals</strong>" in text
    assert "<li>one</li>" in text
    assert '<a href="https://alice.dev" rel="nofollow noopener noreferrer">site</a>' in text


def test_it_previews_a_sanitized_bio(alice_client, htmx_headers):
    response = alice_client.post(
        BIO_PREVIEW_URL,
        {"bio": "<script>alert(1)</script><img src=x onerror=alert(1)>[x](javascript:alert(1))"},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    assert "<script" not in response.text
    assert "onerror" not in response.text
    assert "javascript:" not in response.text


def test_it_shows_a_placeholder_for_an_empty_bio(alice_client):
    response = alice_client.post(BIO_PREVIEW_URL, {"bio": ""})

    assert "The preview of your bio appears here." in response.text


def test_it_refuses_a_get_to_the_bio_preview(alice_client):
    assert alice_client.get(BIO_PREVIEW_URL).status_code == 405


def test_it_does_not_save_anything_when_previewing(alice, alice_client):
    before = _snapshot(alice.profile)

    alice_client.post(BIO_PREVIEW_URL, {"bio": "Something new"})

    assert _snapshot(alice.profile) == before


def test_it_shows_a_saved_bio_rendered_and_sanitized_on_the_form(alice, alice_client):
    alice_client.post(PROFILE_URL, _form(bio="**bold** <script>alert(1)</script>"))

    response = alice_client.get(PROFILE_URL)

    assert "<strong>bold</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text
    # The raw text goes back into the textarea, escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in response.text


# --- Nobody edits someone else's profile -------------------------------------------------------


def test_it_changes_only_the_posters_own_profile(alice, bob, bob_client):
    before_alice = _snapshot(alice.profile)

    response = bob_client.post(PROFILE_URL, _form(slug="bob-new", display_name="Bob B"))

    assert response.status_code == 302
    assert _snapshot(alice.profile) == before_alice
    bob.profile.refresh_from_db()
    assert bob.profile.slug == "bob-new"
    assert bob.profile.display_name == "Bob B"
    assert Profile.objects.count() == 2


def test_it_ignores_ids_smuggled_into_the_form(alice, bob, bob_client):
    before_alice = _snapshot(alice.profile)

    bob_client.post(
        PROFILE_URL,
        _form(slug="bob", display_name="Bob B", user=str(alice.pk), id=str(alice.profile.pk)),
    )

    assert _snapshot(alice.profile) == before_alice
    bob.profile.refresh_from_db()
    assert bob.profile.display_name == "Bob B"
    assert bob.profile.user == bob


def test_it_shows_each_engineer_only_their_own_profile(alice, bob, bob_client):
    response = bob_client.get(PROFILE_URL)

    assert 'value="bob"' in response.text
    assert 'value="alice"' not in response.text


@pytest.mark.parametrize("public", [False, True])
def test_the_slug_check_answers_a_private_profile_like_a_reserved_name(
    alice_client, bob, htmx_headers, public
):
    bob.profile.is_public = public
    bob.profile.save()

    def answer(slug: str) -> str:
        text = alice_client.get(SLUG_CHECK_URL, {"slug": slug}, headers=htmx_headers).text
        return text.replace(slug, "SLUG")

    assert answer("bob") == answer("admin")
    # The form says the same when saving.
    saved = alice_client.post(PROFILE_URL, _form(slug="bob")).text
    assert "“bob” is not available; pick another." in saved
