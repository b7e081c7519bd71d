"""Settings for the test suite: base settings with fast hashing and isolated files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Broker folders, SQLite files and media of a test run live apart from a developer's `make run`;
# a worker process started by a test inherits this variable and so shares the broker folder.
os.environ.setdefault("CAIRN_VAR_DIR", tempfile.mkdtemp(prefix="cairn-test-var-"))
# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = Path(os.environ["CAIRN_VAR_DIR"]) / "media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so that a worker process started by a test sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(os.environ["CAIRN_VAR_DIR"]) / "test.sqlite3")}  # noqa: F405
# Tests run tasks in-process unless a test starts a real worker (tests/worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests run the server on a clock pinned to 2026 (tests/conftest.py) while Chromium keeps the
# machine's: cookies that end with the browser session cannot have expired before they are sent.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_AGE = None
