"""Personal access tokens: created once, shown once, stored hashed, revoked for good."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from ..models import ApiToken

TOKEN_PREFIX = "cairn_"  # noqa: S105 - a public marker, not a secret
MAX_ACTIVE_TOKENS = 20


class TokenRefused(Exception):
    """A token that may not be created (too many, no name)."""


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so one round of SHA-256 is enough: nobody can guess it.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for the user, and its full value (which is never stored)."""
    name = name.strip()
    if not name:
        raise TokenRefused("Give the token a name, such as the machine or script that uses it.")
    if ApiToken.objects.filter(user=user).active().count() >= MAX_ACTIVE_TOKENS:
        raise TokenRefused(f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one first.")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:80], prefix=prefix, secret_hash=_hash(secret)
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; from now on it authenticates nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token that raw is, or None for anything else (forged, revoked, malformed)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not prefix or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
