"""Who calls the MLflow endpoint: a Cairn personal access token, as MLFLOW_TRACKING_TOKEN
(Authorization: Bearer) or as the password of basic auth (MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD), rate-limited per token (portfolio.security.limits).

A training loop calls many times a second with the same token, so each web process keeps the
answer of the token check (the token row and its user, found by the SHA-256 of the raw value)
for TOKEN_CACHE_SECONDS: a revoked token, or one whose user was deactivated, stops working
within that second, and the database sees one token query a second per process instead of one
a call. Unknown tokens are not cached, so a guess always costs a lookup and never fills memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time

from django.http import HttpRequest

from portfolio.api.tokens import token_authenticate
from portfolio.models import ApiToken
from portfolio.security import limits

from .errors import MlflowError

_UNAUTHENTICATED = (
    "A valid Cairn token is needed: set MLFLOW_TRACKING_TOKEN to a personal access token "
    "(Settings > API tokens)."
)


def _raw_token(request: HttpRequest) -> tuple[str, str | None]:
    """The token and, for basic auth, the user name that came with it."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer":
        return credentials, None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", None
        username, _, password = decoded.partition(":")
        return password, username
    return "", None


TOKEN_CACHE_SECONDS = 1.0
_CACHE_SIZE = 256
_cache: dict[str, tuple[float, ApiToken]] = {}
_cache_lock = threading.Lock()


def _token_for(raw: str) -> ApiToken | None:
    """token_authenticate, answered from this process's memory for TOKEN_CACHE_SECONDS."""
    fingerprint = hashlib.sha256(raw.encode()).hexdigest()
    now = time.monotonic()
    hit = _cache.get(fingerprint)
    if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1]
    token = token_authenticate(raw=raw)
    with _cache_lock:
        if token is None:
            _cache.pop(fingerprint, None)
        else:
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[fingerprint] = (now, token)
    return token


def forget_tokens() -> None:
    """Drop every remembered token check (tests; a process that must see a revocation now)."""
    with _cache_lock:
        _cache.clear()


def authenticate(request: HttpRequest) -> ApiToken:
    """The request's active token, counted against its rate limit; raises MlflowError."""
    raw, username = _raw_token(request)
    token = _token_for(raw) if raw else None
    if token is not None and username is not None:
        user = token.user
        if username.lower() not in (user.get_username().lower(), (user.email or "").lower()):
            token = None
    if token is None:
        raise MlflowError(
            "UNAUTHENTICATED", _UNAUTHENTICATED, WWW_Authenticate='Bearer realm="cairn"'
        )
    limit = limits.mlflow_requests()
    verdict = limits.limit_hit(limit, f"token:{token.pk}")
    if not verdict.allowed:
        raise MlflowError(
            "REQUEST_LIMIT_EXCEEDED",
            f"Too many requests with this token (at most {limit.describe()}). "
            f"Try again in {verdict.wait}.",
            Retry_After=str(verdict.retry_after),
        )
    return token


def client_of(request: HttpRequest) -> str:
    """The client as its User-Agent names it ("mlflow-python-client/3.1.0")."""
    return request.headers.get("User-Agent", "")[:200]


def host_of(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")[:100]
