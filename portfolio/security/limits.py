"""Rate limits: how often one key (a user, an email address, an API token) may do one thing.

Counters live in the cache, one per fixed window (`limit:<name>:<hashed key>:<window>`), so they
cost one round trip and expire by themselves. The cache may be down (Redis outage): a limit then
lets the request through (fails open) instead of turning it into a server error, and says so in
the log. Callers that would rather skip optional work during an outage (queueing a preview
render) use `first_in` with `when_down=False`.

Every limit is a `Limit` below, read from settings so deployments can tune them; the API's
per-token limit is shared by every token-authenticated endpoint (portfolio/api/views.py
`token_required`); the MLflow endpoint (tracking/auth.py) counts per token with its own limit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

from projects.wording import plural

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # attempts allowed per window
    seconds: int  # window length

    def describe(self) -> str:
        return f"{self.count} per {_duration(self.seconds)}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)

    @property
    def wait(self) -> str:
        return _duration(self.retry_after)


def _duration(seconds: int) -> str:
    if seconds < 90:
        return plural(seconds, "second")
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


def _limit(name: str, default_count: int, default_seconds: int) -> Limit:
    count, seconds = getattr(settings, f"CAIRN_LIMIT_{name.upper()}", None) or (
        default_count,
        default_seconds,
    )
    return Limit(name, count, seconds)


def password_change_guesses() -> Limit:
    """Wrong current passwords on the password-change form, per user."""
    return _limit("password_change", 5, 15 * 60)


def password_reset_emails() -> Limit:
    """Password-reset emails, per address and per account."""
    return _limit("password_reset", 3, 60 * 60)


def api_requests() -> Limit:
    """API requests, per token."""
    return _limit("api", 120, 60)


def mlflow_requests() -> Limit:
    """Calls of the MLflow tracking endpoint (tracking/), per token: a training loop logs far
    more often than a script uploads files, so it has its own, larger budget."""
    return _limit("mlflow", 6000, 60)


def _window(limit: Limit) -> tuple[str, int]:
    now = time.time()
    window = int(now // limit.seconds)
    return str(window), max(1, math.ceil((window + 1) * limit.seconds - now))


def _key(limit: Limit, key: str, window: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"limit:{limit.name}:{digest}:{window}"


def _count(cache_key: str, timeout: int) -> int:
    """Add one to the window's counter (made with its expiry if new) and return it: on Redis
    one round trip (SET NX EX and INCR in a pipeline), elsewhere the cache's add and incr."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(cache_key)
        client = backend._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return int(pipe.execute()[1])
    cache.add(cache_key, 0, timeout=timeout)
    return cache.incr(cache_key)


def limit_hit(limit: Limit, key: str) -> Verdict:
    """Count one attempt of key against limit; allowed while the window's count is within it."""
    window, left = _window(limit)
    cache_key = _key(limit, key, window)
    try:
        count = _count(cache_key, limit.seconds + 5)
    except Exception:  # the cache is down: let it through rather than fail the request
        log.warning("Cache unavailable: limit %s not counted", limit.name, exc_info=True)
        return Verdict(True, 0)
    return Verdict(True, 0) if count <= limit.count else Verdict(False, left)


def limit_check(limit: Limit, key: str) -> Verdict:
    """Whether key has attempts left in this window, without counting one."""
    window, left = _window(limit)
    try:
        count = cache.get(_key(limit, key, window)) or 0
    except Exception:
        log.warning("Cache unavailable: limit %s not checked", limit.name, exc_info=True)
        return Verdict(True, 0)
    return Verdict(True, 0) if count < limit.count else Verdict(False, left)


def first_in(key: str, *, seconds: int, when_down: bool) -> bool:
    """True for the first caller with key within seconds, False for the others; when the cache
    is down, when_down (False skips optional work, True does it anyway)."""
    # The time goes in the value, so the window holds by this process's clock even where the
    # cache server's own expiry runs on another clock.
    now = time.time()
    try:
        if cache.add(f"once:{key}", now, timeout=seconds):
            return True
        started = cache.get(f"once:{key}")
        if not isinstance(started, (int, float)) or now - started >= seconds:
            cache.set(f"once:{key}", now, timeout=seconds)
            return True
        return False
    except Exception:
        log.warning("Cache unavailable: once %s", key, exc_info=True)
        return when_down
