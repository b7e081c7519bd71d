"""The normalised shape of an import: the files going in, the runs and result coming out."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field
from datetime import datetime

from .formats import ImportFailed
from .report import Report
from .series import Series


@dataclass
class InputFile:
    """One file of an import: where it is on disk and the name it was uploaded under."""

    path: pathlib.Path
    name: str
    run_name: str | None = None
    metric_name: str | None = None


@dataclass
class RunData:
    """One run: its identity, params, tags and metric series."""

    name: str
    external_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    series: dict[str, Series] = field(default_factory=dict)
    # The tracker's word for how the run ended, upper-case (FINISHED, RUNNING, FAILED, KILLED,
    # CRASHED...), or "" when the file does not say.
    status: str = ""


@dataclass
class ParseResult:
    """Everything an import found: its format, its runs and the report."""

    format: str
    runs: list[RunData]
    report: Report
    points: int = 0


def flatten(value, prefix: str = "", sep: str = ".", budget: int = 5_000) -> dict[str, str]:
    """Nested mappings as {"a.b": "value"}; values as Python prints them, lists as JSON."""
    out: dict[str, str] = {}
    stack = [(prefix, value)]
    visited = 0
    while stack:
        key, item = stack.pop()
        visited += 1
        if visited > budget * 4 or len(out) > budget:
            raise ImportFailed(
                f"The hyperparameters hold more than {budget:,} entries; Cairn keeps at most "
                f"{budget:,} params a run."
            )
        if isinstance(item, dict):
            if not item and key:
                out[key] = "{}"
            for sub_key, sub in reversed(list(item.items())):
                stack.append((f"{key}{sep}{sub_key}" if key else str(sub_key), sub))
        elif isinstance(item, list | tuple):
            try:
                out[key] = json.dumps(item, default=str)[:10_000]
            except (TypeError, ValueError, RecursionError):
                out[key] = str(item)[:10_000]
        else:
            out[key] = str(item)
    return out
