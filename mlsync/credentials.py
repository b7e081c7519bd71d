"""Credentials at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from settings.

The key is CAIRN_SYNC_KEY, or SECRET_KEY when that is unset, stretched to Fernet's 32 bytes with
SHA-256 under a label of its own (so it is never SECRET_KEY itself). Changing the setting makes
saved credentials unreadable: the sync then fails saying so, and the owner enters them again.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from .sources.base import SourceError


def _fernet() -> Fernet:
    secret = settings.CAIRN_SYNC_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(b"cairn mlsync credentials\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(credentials: dict[str, str]) -> bytes:
    """The credentials, encrypted; b"" for none."""
    if not credentials:
        return b""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode())


def unseal(blob: bytes | memoryview | None) -> dict[str, str]:
    """The credentials sealed in blob ({} for none); SourceError when the key changed."""
    if not blob:
        return {}
    try:
        return json.loads(_fernet().decrypt(bytes(blob)))
    except (InvalidToken, ValueError):
        raise SourceError(
            "The saved credentials can no longer be read (the server's encryption key changed "
            "since they were saved). Enter the token or password again."
        ) from None
