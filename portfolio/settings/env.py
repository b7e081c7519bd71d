"""Strict readers for settings that come from the environment.

A value that is set but malformed stops the process with a message naming the variable,
instead of silently falling back to a default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


def postgres_options(options: dict, *, jit: bool = False) -> dict:
    """A PostgreSQL connection's OPTIONS with the server's JIT compiler off, unless `jit` or
    the URL's own `options` (`?options=-c%20jit%3Don`) say otherwise.

    PostgreSQL compiles with LLVM any query whose estimated cost passes `jit_above_cost`: on a
    stock Debian server that added 10-15 ms to each of the mentor inbox's queries, which run in
    a few milliseconds without it (bench/mentor_inbox.py: 96 ms against 65 ms). Cairn's queries
    are a web app's short ones, where compiling never pays back."""
    startup = options.get("options", "")
    if jit or "jit" in startup:
        return options
    return {**options, "options": f"{startup} -c jit=off".strip()}
