"""Bounds that keep hostile or huge input from costing unbounded time, memory or disk."""

from __future__ import annotations

from dataclasses import dataclass

from .formats import ImportFailed

# Each series becomes a database row and objects in memory: a file naming millions of runs
# is refused rather than allowed to exhaust the worker.
MAX_SERIES = 200_000
# Points cost about 30 bytes each while they are gathered; this keeps one import under ~1 GB.
MAX_POINTS = 25_000_000


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile input from costing unbounded time, memory or disk."""

    max_bytes: int = 200 * 1024 * 1024
    max_zip_members: int = 100_000
    max_zip_total: int = 2 * 1024**3
    max_zip_ratio: float = 200.0
    max_line_bytes: int = 10 * 1024 * 1024
    max_columns: int = 5_000


def check_series_count(count: int, name: str) -> None:
    """Refuse a file that would make more series than Cairn keeps for one import."""
    if count > MAX_SERIES:
        raise ImportFailed(
            f"“{name}” would make {count:,} series (runs × metrics); Cairn imports at most "
            f"{MAX_SERIES:,} at once."
        )


def check_point_count(count: int, name: str) -> None:
    """Refuse a file whose points would not fit in the memory one import may use."""
    if count > MAX_POINTS:
        raise ImportFailed(
            f"“{name}” holds more than {MAX_POINTS:,} points; Cairn imports at most that many "
            "at once. Split it into several files."
        )
