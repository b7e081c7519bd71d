"""The cache of public pages, and its invalidation.

Each engineer's public pages are cached under a version token of theirs. Any save or delete of
something a public page may show (profile, goals, milestones, check-ins, projects, revisions,
imports) replaces the token, so every cached page of that engineer is a miss from then on and
old entries simply expire. The token lives in the same cache: Redis when REDIS_URL is set,
otherwise a file-based cache under CAIRN_VAR_DIR, shared by the web server and the worker, so
an import finished by a worker is seen by the web process at once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

TIMEOUT = 24 * 3600


def _release() -> str:
    """A digest of the code and templates, so that a new release never serves pages rendered
    by the old one. Contents, not dates: every machine of a release computes the same one,
    so a worker's invalidation reaches the web servers."""
    root = Path(__file__).resolve().parent.parent
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
    """The current version token of owner's public pages (made on first use)."""
    key = _version_key(owner_id)
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        # add(): of two processes making the first token, one wins and both use it.
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def invalidate(owner_id: int) -> None:
    """Make every cached public page of owner stale."""
    cache.set(_version_key(owner_id), uuid.uuid4().hex, None)


def fragment(owner_id: int, name: str, build: Callable[[], str]) -> SafeString:
    """The HTML of a public page's part, from the cache or built (and stored) now."""
    key = f"cairn:public:{RELEASE}:{owner_id}:{version(owner_id)}:{name}"
    html = cache.get(key)
    if html is None:
        html = str(build())
        cache.set(key, html, TIMEOUT)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates


# --- Whole pages for visitors ---------------------------------------------------------------
# A signed-out visitor gets the same bytes as the last one: the page is kept whole, found by
# the profile slug without a query. The slug's owner is cached too; a changed slug or a profile
# made private changes the owner's version, so nothing stale is reachable.


def _slug_key(slug: str) -> str:
    return f"cairn:public:{RELEASE}:slug:{slug}"


def _page_key(owner_id: int, token: str, path: str, host: str) -> str:
    digest = hashlib.blake2s(f"{host}|{path}".encode(), digest_size=12).hexdigest()
    return f"cairn:public:{RELEASE}:{owner_id}:{token}:page:{digest}"


def page_get(*, slug: str, path: str, host: str) -> bytes | None:
    owner_id = cache.get(_slug_key(slug))
    if owner_id is None:
        return None
    token = cache.get(_version_key(owner_id))
    if token is None:
        return None
    return cache.get(_page_key(owner_id, token, path, host))


def page_set(*, slug: str, owner_id: int, path: str, host: str, content: bytes) -> None:
    cache.set(_slug_key(slug), owner_id, TIMEOUT)
    cache.set(_page_key(owner_id, version(owner_id), path, host), content, TIMEOUT)
