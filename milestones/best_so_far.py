"""The plan's best-so-far chart: each project's success metric after each import, and its figure.

One point per succeeded import that brought runs, with the best value among all runs up to it by
the metric's direction (projects/metrics.py), the target dashed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from projects.chart_theme import ACCENT, OK, json_ready, trace
from projects.metrics import arrow as direction_arrow
from projects.metrics import best_of, comparison_for, metric_direction, summary_best
from projects.models import ImportStatus, Project, Run
from projects.targets import is_met, target_phrase

from .charts import plan_layout

BEST_HEIGHT = 250
MAX_PROJECTS = 6


@dataclass
class BestSoFar:
    project: Project
    metric: str
    direction: str  # "higher" or "lower"
    target: float | None
    dates: list[datetime.datetime] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)

    @property
    def current(self) -> float | None:
        return self.best[-1] if self.best else None

    @property
    def target_label(self) -> str:
        """ "target ≥ 0.9", written like every target; "" without one."""
        if self.target is None:
            return ""
        return f"target {target_phrase(comparison_for(self.direction), self.target)}"

    @property
    def target_met(self) -> bool | None:
        if self.target is None or self.current is None:
            return None
        return is_met(self.current, comparison_for(self.direction), self.target)


def _metric_entry(summary: dict, metric: str):
    """The summary of metric in a run's summary; a metric typed in another case still counts."""
    entry = summary.get(metric)
    if entry is None:
        lowered = metric.lower()
        entry = next((v for k, v in summary.items() if k.lower() == lowered), None)
    return entry


def best_so_far_for(*, owner: AbstractBaseUser) -> tuple[list[BestSoFar], int]:
    """Each of the owner's projects with a success metric: its best value after each import.

    One point per succeeded import that brought runs, dated when the import finished, with the
    best value among all runs up to and including it, by the metric's direction. Returns the
    projects (at most MAX_PROJECTS, most recently updated first) and how many were left out.
    Two queries.
    """
    projects = list(
        Project.objects.owned_by(owner)
        .exclude(current_revision__success_metric="")
        .filter(current_revision__isnull=False)
        .select_related("current_revision")
        .only(
            "title",
            "slug",
            "updated_at",
            "current_revision__success_metric",
            "current_revision__success_target",
            "current_revision__success_direction",
            "metric_directions",
        )
    )
    left_out = max(0, len(projects) - MAX_PROJECTS)
    projects = projects[:MAX_PROJECTS]
    results = {
        p.pk: BestSoFar(
            project=p,
            metric=p.current_revision.success_metric,
            direction=metric_direction(p.current_revision.success_metric, p),
            target=p.current_revision.success_target,
        )
        for p in projects
    }
    rows = (
        Run.objects.current()
        .filter(project__in=results.keys(), experiment_import__status=ImportStatus.SUCCEEDED)
        .order_by()
        .values_list(
            "project_id",
            "experiment_import_id",
            "experiment_import__original_name",
            "experiment_import__finished_at",
            "experiment_import__created_at",
            "summary",
        )
    )
    by_import: dict[tuple[int, int], list] = {}
    for project_id, import_id, name, finished_at, created_at, summary in rows:
        entry = by_import.setdefault(
            (project_id, import_id), [finished_at or created_at, import_id, name, []]
        )
        result = results[project_id]
        value = summary_best(_metric_entry(summary or {}, result.metric), result.direction)
        if value is not None:
            entry[3].append(value)
    for (project_id, _), (when, _, name, values) in sorted(
        by_import.items(), key=lambda item: (item[1][0], item[1][1])
    ):
        result = results[project_id]
        best = best_of([*values, result.current], result.direction)
        if best is None:
            continue
        result.dates.append(when)
        result.best.append(best)
        result.imports.append(name)
    return list(results.values()), left_out


def best_so_far_figure(series: BestSoFar) -> dict:
    """The best value so far as a rising (or falling) step line, the target dashed."""
    x = [timezone.localtime(d).replace(tzinfo=None) for d in series.dates]
    fig: dict = {"data": [], "layout": {}}
    fig["data"].append(
        trace(
            "scatter",
            x=x,
            y=series.best,
            customdata=series.imports,
            mode="lines+markers",
            name=f"best {series.metric}",
            line={"color": ACCENT, "width": 2, "shape": "hv"},
            marker={"size": 7},
            hovertemplate="%{x|%b %d, %Y}<br>best so far %{y:.4g}<br>%{customdata}<extra></extra>",
        )
    )
    annotations = []
    if series.target is not None:
        # A labelled line rather than a legend: the chart stays one line short on a phone.
        fig["data"].append(
            trace(
                "scatter",
                x=[x[0], x[-1]],
                y=[series.target, series.target],
                mode="lines",
                name=series.target_label,
                line={"color": OK, "dash": "dash", "width": 1.5},
                hovertemplate=f"{series.target_label}<extra></extra>",
            )
        )
        annotations.append(
            {
                "x": 0,
                "xref": "paper",
                "xanchor": "left",
                "y": series.target,
                "yanchor": "bottom",
                "text": series.target_label,
                "showarrow": False,
                "font": {"size": 11, "color": OK},
            }
        )
    arrow = direction_arrow(series.direction)
    day = 24 * 3600 * 1000
    fig["layout"] = plan_layout(
        height=BEST_HEIGHT,
        margin={"l": 52, "r": 12, "t": 30, "b": 40},
        showlegend=False,
        annotations=annotations,
        xaxis={
            "fixedrange": True,
            "nticks": 5,
            "tickangle": 0,
            "tickformatstops": [
                {"dtickrange": [None, day], "value": "%H:%M<br>%b %d"},
                {"dtickrange": [day, 28 * day], "value": "%b %d"},
                {"dtickrange": [28 * day, None], "value": "%b %Y"},
            ],
        },
        yaxis={"title": {"text": f"{series.metric} {arrow}"}, "fixedrange": True},
    )
    return json_ready(fig)
