"""Chart cards of a project's runs, from a query string to what a page draws: the card (its
figure as JSON) and the zoom points behind it, and the slots that load cards lazily.

The owner's endpoints (projects/chart_views.py) and the public ones (portfolio) both answer
with these, each after looking the project up by its own rule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from .charts import ChartOptions, metric_figure, metric_traces
from .models import Project
from .query_forms import ChartCardForm, ChartPointsForm
from .selectors.charts import project_target, series_for_chart
from .summary_charts import is_summary, summary_figure

CARD = "projects/_chart.html"
CARD_MESSAGE = "projects/_chart_message.html"


def chart_query(key: str, run_ids: list[int], options: ChartOptions, **extra) -> str:
    """The query string of one card (and of its points)."""
    params = {"metric": key, "runs": ",".join(map(str, run_ids)), "x": options.x}
    if options.smooth:
        params["smooth"] = f"{options.smooth:g}"
    if options.log:
        params["log"] = "1"
    params.update({k: v for k, v in extra.items() if v})
    return urlencode(params)


@dataclass
class ChartSlot:
    """A placeholder that htmx fills with a chart card once it scrolls into view."""

    key: str
    url: str
    data_url: str


def chart_slots(
    project: Project, keys: list[str], run_ids: list[int], options: ChartOptions, size: str = ""
) -> list[ChartSlot]:
    """A slot per metric on the owner's chart endpoints."""
    fragment = reverse("projects:chart", args=[project.slug])
    data = reverse("projects:chart-data", args=[project.slug])
    slots = []
    for key in keys:
        query = chart_query(key, run_ids, options, size=size)
        slots.append(ChartSlot(key, f"{fragment}?{query}", f"{data}?{query}"))
    return slots


def card(*, project: Project, params, data_url: str) -> tuple[str, dict, int]:
    """One chart card of project for the query's metric, runs and options, as (template,
    context, status); data_url is where its zoom asks for points. A bad query is a 400 card
    that says what to write."""
    form = ChartCardForm(params)
    if not form.is_valid():
        return CARD_MESSAGE, {"message": form.message()}, 400
    key, run_ids, options = form.cleaned_data["metric"], form.cleaned_data["runs"], form.options()
    runs = series_for_chart(
        project=project, key=key, run_ids=run_ids, wall_times=options.x == "time"
    )
    context = {"key": key, "project": project}
    if not runs:
        context["message"] = f"None of the chosen runs has a metric “{key}”."
        return CARD, context, 200
    height = 240 if form.small else 360
    target = project_target(project, key)
    if is_summary(runs):
        # One value per run (a runs table): a dot per run, not lines that draw nothing.
        figure = summary_figure(key, runs, target=target, height=height, log=options.log)
    else:
        figure = metric_figure(key, runs, options, target=target, height=height)
    if not figure["data"]:
        context["message"] = figure["note"] or "Nothing to draw."
        return CARD, context, 200
    query = chart_query(key, run_ids, options)
    digest = hashlib.blake2s(f"{query}&{form.small}".encode(), digest_size=6).hexdigest()
    context.update(
        figure=figure,
        chart_id=f"chart-{digest}",
        figure_id=f"figure-chart-{digest}",
        data_url="" if figure.get("summary") else f"{data_url}?{query}",
        runs=runs,
        small=form.small,
        options=options,
    )
    return CARD, context, 200


def points(*, project: Project, params) -> tuple[dict, int]:
    """One metric's traces of project as (JSON data, status): the whole range, or a zoomed
    window (x0..x1) at full resolution up to the same cap; a bad query is a 400 error."""
    form = ChartPointsForm(params)
    if not form.is_valid():
        return {"error": form.message()}, 400
    key, options = form.cleaned_data["metric"], form.options()
    runs = series_for_chart(
        project=project,
        key=key,
        run_ids=form.cleaned_data["runs"],
        wall_times=options.x == "time",
    )
    built = metric_traces(
        runs, options, target=project_target(project, key), window=form.cleaned_data["window"]
    )
    data = {
        "metric": key,
        "data": built.figure["data"],
        "note": "; ".join(built.notes),
        "points": built.points_sent,
    }
    return data, 200
