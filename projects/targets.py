"""Targets on a metric: a project's best run on it, and whether that run meets a threshold.

A run is judged by its best value in the comparison's direction (projects/metrics.py): the
maximum for > and >=, the minimum for < and <=. A run that once reached the target counts,
as the checkpoint saved there would. The project's success metric uses the same rule, with
>= for "higher is better" and <= for "lower is better".
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from .metrics import (
    comparison_for,
    comparison_sign,
    direction_and_reason,
    direction_of_comparison,
    is_better,
    summary_best,
    with_metric_summary,
)
from .models import MetricSeries, Project, ProjectRevision, Run

COMPARISONS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


@dataclass(frozen=True)
class RunValue:
    """One run's best value on a metric, with what a page needs to link to it."""

    id: int
    name: str
    value: float
    url: str
    import_id: int
    import_name: str


@dataclass(frozen=True)
class SuccessCheck:
    """A project's success metric against its best run."""

    metric: str
    direction: str
    comparison: str
    target: float | None
    best: RunValue | None
    reason: str = ""  # why the direction (metrics.SET_BY_OWNER overrides the record's)

    @property
    def met(self) -> bool | None:
        if self.best is None or self.target is None:
            return None
        return is_met(self.best.value, self.comparison, self.target)


def target_phrase(comparison: str, threshold: float, *, digits: int = 6) -> str:
    """A target as written for people: "≥ 0.9"."""
    return f"{comparison_sign(comparison)} {threshold:.{digits}g}"


def is_met(value: float, comparison: str, threshold: float) -> bool:
    return COMPARISONS[comparison](value, threshold)


def best_run(
    *,
    project: Project,
    metric: str,
    comparison: str,
    runs: QuerySet[Run] | None = None,
    exclude_import_id: int | None = None,
) -> RunValue | None:
    """The run of project (or of runs) with the best value of metric in comparison's direction.

    One query: only each run's summary of that metric is read. Ties go to the older run.
    """
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}")
    direction = direction_of_comparison(comparison)
    qs = (runs if runs is not None else Run.objects.all()).current().filter(project=project)
    if exclude_import_id is not None:
        qs = qs.exclude(experiment_import_id=exclude_import_id)
    rows = with_metric_summary(qs, metric).values_list(
        "id", "name", "metric_summary", "experiment_import_id", "experiment_import__original_name"
    )
    best = None
    for run_id, name, summary, import_id, import_name in rows.order_by("id"):
        value = summary_best(summary, direction)
        if value is not None and is_better(value, best[2] if best else None, direction):
            best = (run_id, name, value, import_id, import_name)
    if best is None:
        return None
    run_id, name, value, import_id, import_name = best
    return RunValue(
        id=run_id,
        name=name,
        value=value,
        url=reverse("projects:run", args=[project.ref, run_id]),
        import_id=import_id,
        import_name=import_name,
    )


def project_success(*, project: Project, revision: ProjectRevision) -> SuccessCheck | None:
    """The record's success metric on the project's best run, or None without a metric."""
    metric = (revision.success_metric or "").strip()
    if not metric:
        return None
    direction, reason = direction_and_reason(metric, project, revision=revision)
    comparison = comparison_for(direction)
    return SuccessCheck(
        metric=metric,
        direction=direction,
        reason=reason,
        comparison=comparison,
        target=revision.success_target,
        best=best_run(project=project, metric=metric, comparison=comparison),
    )


def metric_keys_by_project(*, owner) -> dict[int, list[str]]:
    """Every metric key of each of the owner's projects, for typing a target (one query)."""
    keys: dict[int, list[str]] = {}
    rows = (
        MetricSeries.objects.filter(run__in=Run.objects.current().filter(project__owner=owner))
        .values_list("run__project_id", "key")
        .distinct()
        .order_by("run__project_id", "key")
    )
    for project_id, key in rows:
        keys.setdefault(project_id, []).append(key)
    return keys
