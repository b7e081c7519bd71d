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


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
)
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """Email notifications to recipients who want them right away (each one at most once)."""
    from .mentoring.notifications import notifications_email_now

    return notifications_email_now(notification_ids=notification_ids)


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def send_daily_digests() -> int:
    """Celery beat's daily job: one digest email per user who chose digests."""
    from .mentoring.notifications import digests_send_all

    return digests_send_all()


@shared_task(time_limit=120, soft_time_limit=100)
def render_preview(*, owner_id: int, project_id: int | None = None) -> str | None:
    """Render a public page's link-preview PNG (kaleido and Chromium) and store it."""
    from .public.previews import preview_render

    return preview_render(owner_id=owner_id, project_id=project_id)
