"""The cache of public pages, and its invalidation.

Each engineer's public pages are cached under a version token of theirs. Any save or delete of
something a public page may show (profile, goals, milestones, check-ins, projects, revisions,
imports) replaces the token, so every cached page of that engineer is a miss from then on and
old entries simply expire. The token lives in the same cache: Redis when REDIS_URL is set,
otherwise a file-based cache under CAIRN_VAR_DIR, shared by the web server and the worker, so
an import finished by a worker is seen by the web process at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

TIMEOUT = 24 * 3600


def _version_key(owner_id: int) -> str:
    return f"cairn:public:version:{owner_id}"


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
    key = f"cairn:public:{owner_id}:{version(owner_id)}:{name}"
    html = cache.get(key)
    if html is None:
        html = str(build())
        cache.set(key, html, TIMEOUT)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates
