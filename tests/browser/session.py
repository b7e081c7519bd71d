"""Signing in through the login form, shared by the browser tests that need a session."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def log_in(page: Page, base: str, username: str) -> None:
    """Sign in through the form as a person would, and wait to leave the login page."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
