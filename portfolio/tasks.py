from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_email(*, subject: str, body: str, to: list[str]) -> None:
    """Send one plain-text email through the configured backend."""
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
