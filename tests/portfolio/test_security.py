from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

PROJECT_ROOT = settings.BASE_DIR

SIGNED_OUT_PAGES = [
    reverse("home"),
    reverse("login"),
    reverse("signup"),
    reverse("password_reset"),
    reverse("password_reset_done"),
    "/no-such-page/",
]
SIGNED_IN_PAGES = [
    reverse("profile"),
    reverse("password_change"),
    f"{reverse('profile-slug-check')}?slug=alice-ml",
    reverse("milestones:quarter", args=[2026, 4]),
]
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _nonce(response) -> str:
    nonces = [v for v in _directives(response)["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, response["Content-Security-Policy"]
    return nonces[0].removeprefix("'nonce-").removesuffix("'")


def assert_strict_page(response, *, fragment: bool = False) -> None:
    """A strict CSP, every script carrying its nonce, and nothing inline that could run."""
    assert response["Content-Type"].startswith("text/html")
    directives = _directives(response)
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "*" not in script_src
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["style-src"]

    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
    if fragment:
        # Django adds a nonce only when the response used one; a fragment has no scripts.
        assert scripts == []
    else:
        nonce = _nonce(response)
        assert scripts
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, tag
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)
    assert "hx-on" not in html
    assert not re.search(r"""\sstyle\s*=""", html), "inline style attributes are blocked by CSP"
    assert "<style" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", SIGNED_OUT_PAGES)
def test_it_sends_a_strict_policy_with_every_signed_out_page(client, url):
    response = client.get(url)

    assert response.status_code in (200, 404)
    assert_strict_page(response)


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_it_sends_a_strict_policy_with_every_signed_in_page(alice_client, url):
    response = alice_client.get(url)

    assert response.status_code == 200
    assert_strict_page(response)


def test_it_sends_a_strict_policy_with_htmx_fragments(alice_client, htmx_headers):
    fragments = [
        alice_client.get(reverse("profile-slug-check"), {"slug": "x-y-z"}, headers=htmx_headers),
        alice_client.post(reverse("profile-bio-preview"), {"bio": "**hi**"}, headers=htmx_headers),
    ]

    for response in fragments:
        assert response.status_code == 200
        assert "<html" not in response.text
        assert_strict_page(response, fragment=True)


def test_it_sends_a_strict_policy_with_form_errors(client, alice):
    signup = client.post(reverse("signup"), {"username": "x", "password1": "1", "password2": "2"})
    login = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    for response in (signup, login):
        assert response.status_code == 200
        assert_strict_page(response)


def test_it_sends_a_strict_policy_with_the_locked_out_page(client, alice):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 429
    assert_strict_page(response)


def test_it_sends_a_strict_policy_with_the_csrf_failure_page(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("profile"), {})

    assert response.status_code == 403
    assert_strict_page(response)


def test_it_uses_a_fresh_nonce_for_every_response(client, db):
    first = _nonce(client.get(reverse("login")))
    second = _nonce(client.get(reverse("login")))

    assert first != second
    assert len(first) >= 16


def test_it_forbids_framing_and_sniffing(client, db):
    response = client.get(reverse("login"))

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- Production settings -----------------------------------------------------------------------

# Variables that would change what production settings see; each test states its own. The test
# settings set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly refuses.
_SETTINGS_VARIABLES = {
    "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG",
    "EMAIL_HOST", "EMAIL_BACKEND", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "CSRF_TRUSTED_ORIGINS", "CAIRN_SITE_URL",
}  # fmt: skip


def _production_env(tmp_path, **overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="portfolio.settings.production",
        SECRET_KEY=secrets.token_urlsafe(45),
        ALLOWED_HOSTS="example.com",
        # Production refuses the console mail backend: password resets must reach people.
        EMAIL_HOST="smtp.example.com",
        CAIRN_SITE_URL="https://example.com",
        CAIRN_VAR_DIR=str(tmp_path),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_secret_key_used_is_sixty_random_characters(tmp_path):
    assert len(_production_env(tmp_path)["SECRET_KEY"]) == 60


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = _manage(_production_env(tmp_path), "check", "--deploy")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = _manage(_production_env(tmp_path, SECRET_KEY=None), "check", "--deploy")

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize(
    "key", ["too-short", "insecure-local-key-do-not-use-in-production" + "x" * 20]
)
def test_production_settings_refuse_a_weak_secret_key(tmp_path, key):
    result = _manage(_production_env(tmp_path, SECRET_KEY=key), "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be a random string of at least 50 characters" in result.stderr


@pytest.mark.parametrize("hosts", [None, "", " , "])
def test_production_settings_refuse_to_start_without_allowed_hosts(tmp_path, hosts):
    result = _manage(_production_env(tmp_path, ALLOWED_HOSTS=hosts), "check", "--deploy")

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_settings_refuse_to_start_without_a_mail_server(tmp_path):
    result = _manage(_production_env(tmp_path, EMAIL_HOST=None), "check")

    assert result.returncode != 0
    assert "EMAIL_HOST must be set in production" in result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (None, "CAIRN_SITE_URL must be set in production"),
        ("http://127.0.0.1:8000", "CAIRN_SITE_URL must be the site's https:// address"),
    ],
)
def test_production_settings_refuse_to_start_without_the_sites_address(tmp_path, url, message):
    result = _manage(_production_env(tmp_path, CAIRN_SITE_URL=url), "check")

    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_refuse_a_malformed_boolean(tmp_path):
    result = _manage(_production_env(tmp_path, SECURE_SSL_REDIRECT="maybe"), "check")

    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT must be one of" in result.stderr


def test_seed_demo_refuses_to_run_with_production_settings(tmp_path):
    result = _manage(_production_env(tmp_path), "seed_demo")

    assert result.returncode != 0
    assert "seed_demo refuses to run with production settings" in result.stderr
