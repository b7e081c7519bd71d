"""Writes for notifications: who is told what, and the emails (immediate or a daily digest)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from outbox.services import send_task_safely

from ..models import Notification, NotifyChoice, Profile

log = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable[AbstractBaseUser],
    actor: AbstractBaseUser,
    engineer: AbstractBaseUser,
    kind: str,
    **targets,
) -> list[Notification]:
    """Tell each recipient (never the actor) that actor did kind; email those who want it now."""
    seen: set[int] = set()
    rows = []
    for recipient in recipients:
        if recipient.pk == actor.pk or recipient.pk in seen:
            continue
        seen.add(recipient.pk)
        rows.append(
            Notification(recipient=recipient, actor=actor, engineer=engineer, kind=kind, **targets)
        )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    immediate = set(
        Profile.objects.filter(
            user_id__in=seen, email_notifications=NotifyChoice.IMMEDIATE
        ).values_list("user_id", flat=True)
    )
    ids = [n.pk for n in created if n.recipient_id in immediate and n.pk is not None]
    if ids:
        from ..tasks import send_notification_emails

        send_task_safely(send_notification_emails, kwargs={"notification_ids": ids}, owner=actor)
    return created


def notifications_mark_read(*, user: AbstractBaseUser, ids: Iterable[int] | None = None) -> int:
    """Mark user's notifications read (all of them when ids is None); returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _site_url(path: str) -> str:
    return settings.CAIRN_SITE_URL + path


def _email_lines(notifications: QuerySet[Notification]) -> list[dict]:
    from .selectors import notification_rows

    return [
        {
            "id": row["id"],
            "text": row["text"],
            "excerpt": " ".join(row["excerpt"].split()),
            "url": _site_url(row["url"]),
            "when": row["created_at"],
        }
        for row in notification_rows(notifications)
    ]


def _visible(user: AbstractBaseUser, ids: list[int]) -> QuerySet[Notification]:
    # Access can end between the notification and its email (a goal made private, a mentor
    # revoked): emails go through the same rule as the pages.
    from .selectors import notifications_visible_to

    return notifications_visible_to(user).filter(pk__in=ids)


def _subject(text: str) -> str:
    # Titles come from users and the API: a line break in a header would refuse the email.
    line = " ".join(text.split())
    return f"Cairn: {line if len(line) <= 120 else line[:119] + '…'}"


def _send(user: AbstractBaseUser, subject: str, template: str, context: dict) -> None:
    from django.core.mail import send_mail

    body = render_to_string(
        template, {"user": user, "site_url": settings.CAIRN_SITE_URL, **context}
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)


def notifications_email_now(*, notification_ids: list[int]) -> int:
    """Email each notification not yet emailed, to recipients who chose immediate emails."""
    sent = 0
    pending = (
        Notification.objects.filter(
            pk__in=notification_ids,
            emailed_at__isnull=True,
            recipient__profile__email_notifications=NotifyChoice.IMMEDIATE,
        )
        .exclude(recipient__email="")
        .select_related("recipient")
    )
    for notification in pending:
        lines = _email_lines(_visible(notification.recipient, [notification.pk]))
        if not lines:
            continue
        with transaction.atomic():
            # Claim the row first: a second delivery of the task sends nothing twice, and a
            # failed send rolls the claim back for the retry.
            claimed = Notification.objects.filter(
                pk=notification.pk, emailed_at__isnull=True
            ).update(emailed_at=timezone.now())
            if not claimed:
                continue
            _send(
                notification.recipient,
                _subject(lines[0]["text"]),
                "portfolio/email/notification.txt",
                {"line": lines[0]},
            )
            sent += 1
    return sent


def digest_send(*, user: AbstractBaseUser) -> int:
    """Email user one digest of their unread notifications not emailed yet; returns the count."""
    if not user.email:
        return 0
    with transaction.atomic():
        # Lock the pending rows: a concurrent run waits here, then finds them emailed.
        pending = Notification.objects.select_for_update().filter(
            recipient=user, emailed_at__isnull=True, read_at__isnull=True
        )
        ids = list(pending.values_list("pk", flat=True))
        if not ids:
            return 0
        # Rows the user may no longer see stay unemailed: they are left out, not spent.
        lines = _email_lines(_visible(user, ids))
        if not lines:
            return 0
        Notification.objects.filter(pk__in=[line["id"] for line in lines]).update(
            emailed_at=timezone.now()
        )
        _send(
            user,
            f"Cairn: your daily digest ({len(lines)} new)",
            "portfolio/email/digest.txt",
            {"lines": lines},
        )
    return len(lines)


def digests_send_all() -> int:
    """Send the daily digest to everyone who chose it and has something unread; returns emails."""
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(
            profile__email_notifications=NotifyChoice.DAILY,
            notifications__emailed_at__isnull=True,
            notifications__read_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
    )
    sent = 0
    for user in users:
        try:
            sent += 1 if digest_send(user=user) else 0
        except Exception:
            log.exception("Daily digest for user %s failed", user.pk)
    return sent
