"""Playwright on Debian's Chromium (a browser download by Playwright cannot work here)."""

from __future__ import annotations

import os
import shutil
import urllib.request

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"Browser tests need Chromium at {CHROMIUM} (CI=true).")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def csp_violations(page):
    """Console messages about the Content Security Policy; a test asserts it stays empty."""
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return seen


# --- The site as deployed: static files collected, hashed and compressed ----------------------

DEPLOYED_STATIC = {
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    },
    "WHITENOISE_USE_FINDERS": False,
    "WHITENOISE_AUTOREFRESH": False,
}


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """STATIC_ROOT after `collectstatic` with the production storage (hashed, gzip and brotli)."""
    from django.core.management import call_command
    from django.test import override_settings

    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=str(root), **DEPLOYED_STATIC):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def deployed_server(collected_static, transactional_db):
    """A live server whose static files WhiteNoise serves as in production (not the finders)."""
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(STATIC_ROOT=str(collected_static), **DEPLOYED_STATIC):
        server = LiveServer("localhost:0", start=False)
        # No static handler in front of the app: WhiteNoise's middleware answers /static/.
        server.thread.static_handler = lambda app: app
        with server._live_server_modified_settings:
            server.start()
            # A process's first request imports the URLconf and with it scipy (about 2 s): that
            # is the server starting, not what a visitor's first view costs.
            urllib.request.urlopen(f"{server.url}/healthz", timeout=30).read()  # noqa: S310
            try:
                yield server
            finally:
                server.stop()
