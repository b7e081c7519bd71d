"""Writes for mentorships: invitations by link, acceptance, revocation, each one audited."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template import loader
from django.urls import reverse
from django.utils import timezone

from outbox.services import send_task_safely

from ..models import Mentorship, MentorshipEvent, Notification
from ..tasks import send_email

INVITATION_DAYS = 7
TOKEN_BYTES = 32


class InvitationError(Exception):
    """An invitation link that cannot be used, with why: unknown, expired, used, revoked, own."""

    def __init__(self, reason: str, mentorship: Mentorship | None = None):
        super().__init__(reason)
        self.reason = reason
        self.mentorship = mentorship


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mentorship_invite(
    *, engineer: AbstractBaseUser, email: str = "", note: str = ""
) -> tuple[Mentorship, str]:
    """Create an invitation; returns it with the secret token, which is never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        mentorship = Mentorship.objects.create(
            engineer=engineer,
            email=email,
            note=note,
            token_hash=token_hash(token),
            expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
        )
        MentorshipEvent.objects.create(
            mentorship=mentorship,
            actor=engineer,
            action=MentorshipEvent.Action.INVITED,
            detail=f"for {email}" if email else "by link",
        )
    return mentorship, token


def invitation_for_token(*, token: str) -> Mentorship:
    """The invitation a link names, or InvitationError saying why it cannot be used."""
    if not token or len(token) > 100:
        raise InvitationError("unknown")
    mentorship = (
        Mentorship.objects.select_related("engineer__profile", "mentor")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if mentorship is None:
        raise InvitationError("unknown")
    if mentorship.revoked_at is not None:
        raise InvitationError("revoked", mentorship)
    if mentorship.accepted_at is not None:
        raise InvitationError("used", mentorship)
    if mentorship.expires_at <= timezone.now():
        raise InvitationError("expired", mentorship)
    return mentorship


def mentorship_accept(*, token: str, mentor: AbstractBaseUser) -> Mentorship:
    """Accept an invitation as mentor: single use, checked again under a row lock."""
    from .notifications import notify

    with transaction.atomic():
        found = invitation_for_token(token=token)
        mentorship = Mentorship.objects.select_for_update().get(pk=found.pk)
        # Another request may have accepted or revoked it since the first read.
        if mentorship.revoked_at is not None:
            raise InvitationError("revoked", mentorship)
        if mentorship.accepted_at is not None:
            raise InvitationError("used", mentorship)
        if mentorship.engineer_id == mentor.pk:
            raise InvitationError("own", mentorship)
        if (
            Mentorship.objects.active()
            .filter(engineer_id=mentorship.engineer_id, mentor=mentor)
            .exists()
        ):
            raise InvitationError("already", mentorship)
        mentorship.mentor = mentor
        mentorship.accepted_at = timezone.now()
        mentorship.save(update_fields=["mentor", "accepted_at"])
        MentorshipEvent.objects.create(
            mentorship=mentorship, actor=mentor, action=MentorshipEvent.Action.ACCEPTED
        )
        notify(
            recipients=[mentorship.engineer],
            actor=mentor,
            engineer=mentorship.engineer,
            kind="accepted",
            mentorship=mentorship,
        )
    return mentorship


# The invitation a signed-out visitor opened, kept in their session until they have an account.
PENDING_INVITATION = "pending_invitation"


def invitation_remember(*, session, token: str) -> None:
    """Keep the invitation a signed-out visitor opened, so any way of signing up attaches them."""
    session[PENDING_INVITATION] = token


def invitation_accept_pending(*, session, user: AbstractBaseUser) -> Mentorship | None:
    """Accept the invitation this browser opened before signing up (once); None without one.
    Raises InvitationError when it can no longer be accepted."""
    token = session.pop(PENDING_INVITATION, None)
    if not token:
        return None
    return mentorship_accept(token=token, mentor=user)


def mentorship_revoke(*, mentorship: Mentorship, actor: AbstractBaseUser) -> Mentorship:
    """End a mentorship or cancel an invitation, with immediate effect."""
    with transaction.atomic():
        mentorship = Mentorship.objects.select_for_update().get(pk=mentorship.pk)
        if mentorship.revoked_at is None:
            mentorship.revoked_at = timezone.now()
            mentorship.save(update_fields=["revoked_at"])
            MentorshipEvent.objects.create(
                mentorship=mentorship, actor=actor, action=MentorshipEvent.Action.REVOKED
            )
            if mentorship.mentor_id:
                # Their unread inbox goes with their access: invited again, they start afresh.
                Notification.objects.filter(
                    recipient_id=mentorship.mentor_id,
                    engineer_id=mentorship.engineer_id,
                    kind__in=Notification.INBOX_KINDS,
                    read_at__isnull=True,
                ).delete()
    return mentorship


def mentorship_record_email(*, mentorship: Mentorship, actor: AbstractBaseUser) -> None:
    """Note in the audit trail that the invitation was emailed."""
    MentorshipEvent.objects.create(
        mentorship=mentorship,
        actor=actor,
        action=MentorshipEvent.Action.EMAILED,
        detail=f"to {mentorship.email}",
    )


def invitation_url(token: str, site_url: str | None = None) -> str:
    """The full link a mentor opens to accept; it carries the secret, so it is shown only once."""
    return (site_url or settings.CAIRN_SITE_URL).rstrip("/") + reverse(
        "mentoring:accept", args=[token]
    )


def invitation_create(
    *, engineer: AbstractBaseUser, email: str = "", note: str = "", site_url: str | None = None
) -> tuple[Mentorship, str]:
    """Invite a mentor: the invitation, and when an email is given the email (sent once the
    transaction commits) and its audit line, all or nothing. Returns it with its link."""
    with transaction.atomic():
        mentorship, token = mentorship_invite(engineer=engineer, email=email, note=note)
        url = invitation_url(token, site_url)
        if mentorship.email:
            _email_invitation(mentorship, url, engineer)
    return mentorship, url


def _email_invitation(mentorship: Mentorship, url: str, engineer: AbstractBaseUser) -> None:
    profile = getattr(engineer, "profile", None)
    name = (profile.display_name if profile else "") or engineer.get_username()
    name = " ".join(name.split())  # never a line break in the subject header
    body = loader.render_to_string(
        "portfolio/email/invitation.txt",
        {"engineer_name": name, "note": mentorship.note, "expires_at": mentorship.expires_at,
         "url": url},
    )  # fmt: skip
    send_task_safely(
        send_email,
        kwargs={
            "subject": f"{name} invites you to mentor them on Cairn",
            "body": body,
            "to": [mentorship.email],
        },
        owner=engineer,
    )
    mentorship_record_email(mentorship=mentorship, actor=engineer)
