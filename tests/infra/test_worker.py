"""A real task through a real worker process, on the broker the settings name.

The default run uses the file-system broker; the services run (REDIS_URL set) uses Redis.
"""

from __future__ import annotations

import email
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_password_reset_email_is_sent_by_a_worker_process(client, alice, tmp_path: Path):
    mail_dir = tmp_path / "mail"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with celery_worker(env=env):
        response = client.post(reverse("password_reset"), {"email": alice.email})
        assert response.status_code == 302

        files = wait_for(lambda: list(mail_dir.glob("*.log")), timeout=60)

    message = email.message_from_string(files[0].read_text())
    assert message["To"] == alice.email
    assert message["Subject"] == "Reset your Cairn password"
    assert "/accounts/reset/" in message.get_payload(decode=True).decode()


def test_the_worker_uses_the_configured_broker():
    expected = "redis" if settings.REDIS_URL else "filesystem"
    assert settings.CELERY_BROKER_URL.startswith(expected)
