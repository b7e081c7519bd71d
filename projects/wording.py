"""Counts, names and sizes worded for the sentences Cairn shows a user: the one place for
plurals ("1 run", "3 runs"), verbs that agree with a count and numbers with thousands separators.

Plain Python (the importers, which import no Django, use it too). Templates use the same rule
through the `plural` filter (`{% load wording %}{{ n|plural:"run" }}`).
"""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 value', '3 values', with thousands separators."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def agree(n: int, one: str, many: str) -> str:
    """The word that agrees with a count: agree(1, "was", "were") is "was"."""
    return one if n == 1 else many


def quoted(names, limit: int = 8) -> str:
    """“a”, “b” and 3 more."""
    names = list(names)
    shown = ", ".join(f"“{n}”" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def human_size(size: float) -> str:
    """'200 MB', '1.5 GB', '500 bytes': sizes as a user reads them (1 MB = 2**20 bytes)."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(size):,} bytes"
