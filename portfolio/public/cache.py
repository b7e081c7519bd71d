"""The cache of public pages, and its invalidation.

Each engineer's public pages are cached under a version token of theirs, kept in the database
(Profile.public_version). Any save or delete of something a public page may show (profile,
goals, milestones, check-ins, projects, revisions, imports) writes a new token in the same
transaction, so a change cannot be lost: even when the cache is down at that moment, the copy
of the token the cache holds lives VERSION_TTL seconds at most, and after that no page of the
old version is served. The cache is told at once when it can be (the token's copy deleted).

The cache itself is a help, never a need: when it fails (Redis down), pages are built as if
every entry were missing, and writes go on.

Whole pages for signed-out visitors are kept without what is particular to one request: the
CSP nonce and the CSRF token are placeholders in the cache, filled for each visitor.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)

TIMEOUT = 24 * 3600


def _version_ttl() -> int:
    return getattr(settings, "CAIRN_PUBLIC_VERSION_TTL", 15)


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:  # the cache is down: a miss, and the page is built from the database
        log.warning("Cache unavailable (get %s)", key, exc_info=True)
        return None


def _set(key: str, value, timeout) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        log.warning("Cache unavailable (set %s)", key, exc_info=True)


def _delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        log.warning("Cache unavailable (delete %s)", key, exc_info=True)


def _release() -> str:
    """A digest of the code and templates, so that a new release never serves pages rendered
    by the old one. Contents, not dates: every machine of a release computes the same one,
    so a worker's invalidation reaches the web servers."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.blake2s(digest_size=6)
    for folder in ("portfolio", "projects", "milestones", "templates"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".txt") and "migrations" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


RELEASE = _release()


def _version_key(owner_id: int) -> str:
    return f"cairn:public:{RELEASE}:version:{owner_id}"


def version(owner_id: int) -> str:
    """The current version token of owner's public pages: the database's, cached briefly."""
    from ..models import Profile

    key = _version_key(owner_id)
    token = _get(key)
    if token is None:
        found = Profile.objects.filter(user_id=owner_id).values_list("public_version", flat=True)
        token = f"v{found.first() or ''}"
        _set(key, token, _version_ttl())
    return token


def invalidate(owner_id: int) -> None:
    """Make every cached public page of owner stale: a new token in the database, now (in the
    caller's transaction), and the cache's copy of the old one dropped now and after commit."""
    from ..models import Profile

    Profile.objects.filter(user_id=owner_id).update(public_version=uuid.uuid4().hex)
    _delete(_version_key(owner_id))
    # A request between this write and its commit may have cached the old token again.
    transaction.on_commit(lambda: _delete(_version_key(owner_id)))


def fragment(owner_id: int, name: str, build: Callable[[], str]) -> SafeString:
    """The HTML of a public page's part, from the cache or built (and stored) now."""
    key = f"cairn:public:{RELEASE}:{owner_id}:{version(owner_id)}:{name}"
    html = _get(key)
    if html is None:
        html = str(build())
        _set(key, html, TIMEOUT)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates


# --- Whole pages for visitors ---------------------------------------------------------------
# A signed-out visitor gets the same bytes as the last one: the page is kept whole, found by
# the profile slug without a query, in one round trip to the cache. The slug's owner is kept in
# the cache and, for SLUG_MEMO_SECONDS, in the process; each page is kept with the version
# token it was rendered under, read together with the owner's current token. A changed slug or
# a profile made private changes the owner's version, so nothing stale is reachable, even
# through a slug this process still maps to its former owner.

SLUG_MEMO_SECONDS = 60
_slug_memo: dict[str, tuple[float, int]] = {}


def _slug_key(slug: str) -> str:
    return f"cairn:public:{RELEASE}:slug:{slug}"


def _page_key(owner_id: int, path: str, host: str) -> str:
    digest = hashlib.blake2s(f"{host}|{path}".encode(), digest_size=12).hexdigest()
    return f"cairn:public:{RELEASE}:{owner_id}:page:{digest}"


def _owner_of(slug: str) -> int | None:
    now = time.monotonic()
    memo = _slug_memo.get(slug)
    if memo is not None and now - memo[0] < SLUG_MEMO_SECONDS:
        return memo[1]
    owner_id = _get(_slug_key(slug))
    if owner_id is not None:
        _remember_slug(slug, owner_id)
    return owner_id


def _remember_slug(slug: str, owner_id: int) -> None:
    if len(_slug_memo) > 10_000:
        _slug_memo.clear()
    _slug_memo[slug] = (time.monotonic(), owner_id)


def page_get(*, slug: str, path: str, host: str, request) -> bytes | None:
    """The page a signed-out visitor asked for, as last rendered, made theirs; None if not kept
    or kept under an older version."""
    owner_id = _owner_of(slug)
    if owner_id is None:
        return None
    version_key, page_key = _version_key(owner_id), _page_key(owner_id, path, host)
    try:
        found = cache.get_many([version_key, page_key])
    except Exception:
        log.warning("Cache unavailable (get %s)", page_key, exc_info=True)
        return None
    kept = found.get(page_key)
    if kept is None:
        return None
    token = found.get(version_key) or version(owner_id)
    rendered_under, content = kept
    return _for_request(content, request) if rendered_under == token else None


def page_set(*, slug: str, owner_id: int, path: str, host: str, content: bytes) -> None:
    _set(_slug_key(slug), owner_id, TIMEOUT)
    _remember_slug(slug, owner_id)
    kept = (version(owner_id), _without_request_values(content))
    _set(_page_key(owner_id, path, host), kept, TIMEOUT)


def forget_slugs() -> None:
    """Ask the cache again for every slug's owner (tests)."""
    _slug_memo.clear()


NONCE_MARK = b"__cairn-csp-nonce__"
CSRF_MARK = b"__cairn-csrf-token__"
_PER_REQUEST = (
    (re.compile(rb'(nonce=")[^"]*(")'), NONCE_MARK),
    (re.compile(rb'("X-CSRFToken": ")[^"]*(")'), CSRF_MARK),
    (re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")'), CSRF_MARK),
)


def _without_request_values(content: bytes) -> bytes:
    """The page with its nonce and CSRF token replaced by marks: nothing of one visitor kept."""
    for pattern, mark in _PER_REQUEST:
        content = pattern.sub(rb"\g<1>" + mark + rb"\g<2>", content)
    return content


def _for_request(content: bytes, request) -> bytes:
    """A kept page with this request's own nonce (the CSP header names it) and CSRF token."""
    if NONCE_MARK in content:
        content = content.replace(NONCE_MARK, str(get_nonce(request)).encode())
    if CSRF_MARK in content:
        content = content.replace(CSRF_MARK, get_token(request).encode())
    return content
