"""A metric's direction and a run's best value on it: the one place these rules live.

Direction ("higher" or "lower" is better), first that applies:
1. the owner's word on the metric (`Project.metric_directions`, set on the statistics page);
2. the record's success direction, when the metric is the record's success metric;
3. a guess from the metric's name (`guessed_direction`: loss, error, rmse... are lower).

A run's best value on a metric is read from its summary (never its points): the minimum when
lower is better, the maximum otherwise, and only a finite number counts. A target with a
comparison (a milestone's `<= 0.3`) states its own direction: `<` and `<=` look for the minimum.

Pages, charts, previews, exports and milestone targets all ask here; none decides by itself.
Plain Python (Django only inside `with_metric_summary`), so projects/stats.py can use it too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import Project, ProjectRevision

HIGHER, LOWER = "higher", "lower"
DIRECTIONS = (HIGHER, LOWER)

LOWER_IS_BETTER = (
    "loss", "error", "err", "rmse", "mse", "mae", "mape", "latency", "perplexity", "ppl",
    "wer", "cer", "time", "duration",
)  # fmt: skip
# Named for the record: any metric that is not lower-is-better by name counts as higher.
HIGHER_IS_BETTER = ("accuracy", "acc", "f1", "auc", "r2", "precision", "recall", "bleu", "map")

# Why a metric has its direction, as the statistics page says it.
SET_BY_OWNER = "set by you"
SET_BY_RECORD = "the record's success direction"
GUESSED = "guessed from its name"


# --- Direction ----------------------------------------------------------------------------------


def guessed_direction(key: str) -> str:
    """'lower' or 'higher' is better, guessed from the metric's name."""
    name = key.lower().rsplit("/", 1)[-1]
    return LOWER if any(word in name for word in LOWER_IS_BETTER) else HIGHER


def direction_and_reason(
    key: str, project: Project | None = None, *, revision: ProjectRevision | None = None
) -> tuple[str, str]:
    """The metric's direction and why (SET_BY_OWNER, SET_BY_RECORD or GUESSED).

    `revision` is the record read (its success metric and direction); by default the project's
    current one. Reading it costs no query where the caller loaded `current_revision`.
    """
    if project is not None:
        chosen = (project.metric_directions or {}).get(key)
        if chosen in DIRECTIONS:
            return chosen, SET_BY_OWNER
        if revision is None and project.current_revision_id is not None:
            revision = project.current_revision
    if (
        revision is not None
        and key
        and revision.success_metric == key
        and revision.success_direction in DIRECTIONS
    ):
        return revision.success_direction, SET_BY_RECORD
    return guessed_direction(key), GUESSED


def metric_direction(
    key: str, project: Project | None = None, *, revision: ProjectRevision | None = None
) -> str:
    """'lower' or 'higher' is better for this metric of this project (the module's rule)."""
    return direction_and_reason(key, project, revision=revision)[0]


# How a comparison is written for people, everywhere (pages, check-in notes, exports, charts):
# "≥" and "≤", never ">=" and "<=". The codes stay in the database and in machine answers.
SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def comparison_sign(comparison: str) -> str:
    """A comparison code as written for people: ">=" → "≥"."""
    return SIGNS.get(comparison, comparison)


def comparison_for(direction: str) -> str:
    """The comparison a target on a metric of this direction is met by."""
    return "<=" if direction == LOWER else ">="


def direction_of_comparison(comparison: str) -> str:
    """The direction a comparison looks for: `<` and `<=` want the smallest value."""
    return LOWER if comparison.startswith("<") else HIGHER


def arrow(direction: str) -> str:
    return "↓" if direction == LOWER else "↑"


def better_phrase(direction: str) -> str:
    return "lower is better" if direction == LOWER else "higher is better"


# --- Best values --------------------------------------------------------------------------------


def best_stat(direction: str) -> str:
    """Which summary field holds a run's best value: 'min' or 'max'."""
    return "min" if direction == LOWER else "max"


def finite(value) -> float | None:
    """value as a float when it is a finite number (not a bool, text, NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def summary_best(entry, direction: str) -> float | None:
    """One run's best value from its summary of one metric ({"min", "max", "last", ...})."""
    return finite(entry.get(best_stat(direction))) if isinstance(entry, dict) else None


def run_best(summary: dict | None, key: str, direction: str) -> float | None:
    """A run's best value of metric `key` from its whole summary, None when it has none."""
    return summary_best((summary or {}).get(key), direction)


def run_value(summary: dict | None, key: str, which: str, direction: str) -> float | None:
    """A run's final ("last") or best ("best") value of a metric."""
    entry = (summary or {}).get(key)
    if which == "best":
        return summary_best(entry, direction)
    return finite(entry.get("last")) if isinstance(entry, dict) else None


def is_better(value: float, than: float | None, direction: str) -> bool:
    """Whether value beats `than` (None is beaten by anything); a tie is not better."""
    if than is None:
        return True
    return value < than if direction == LOWER else value > than


def best_of(values: Iterable[float | None], direction: str) -> float | None:
    """The best of some values, None when there is none."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return min(present) if direction == LOWER else max(present)


def running_best(values: Iterable[float], direction: str) -> list[float]:
    """The best value so far after each value, in order."""
    out: list[float] = []
    for value in values:
        out.append(value if not out or is_better(value, out[-1], direction) else out[-1])
    return out


def rank(value: float, direction: str) -> float:
    """A sort key that puts the best value first."""
    return value if direction == LOWER else -value


def with_metric_summary(runs: QuerySet, key: str) -> QuerySet:
    """runs with only their summary of metric `key` read in the database (`metric_summary`),
    so a page reading one metric never loads every run's whole summary."""
    from django.db.models.fields.json import KeyTransform

    return runs.filter(summary__has_key=key).annotate(metric_summary=KeyTransform(key, "summary"))
