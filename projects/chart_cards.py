"""Chart cards of a project's runs, from a query string to what a page draws: the card (its
figure as JSON) and the zoom points behind it, and the slots that load cards lazily.

The owner's endpoints (projects/chart_views.py) and the public ones (portfolio) both answer
with these, each after looking the project up by its own rule.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
from django.urls import reverse

from . import live
from .charts import (
    ChartOptions,
    json_values,
    json_x,
    metric_figure,
    metric_traces,
)
from .models import Project, Run
from .query_forms import ChartCardForm, ChartLiveForm, ChartPointsForm
from .selectors.charts import project_target, series_for_chart
from .summary_charts import is_summary, summary_figure

CARD = "projects/_chart.html"
CARD_MESSAGE = "projects/_chart_message.html"
LIVE = "projects/_chart_live.html"


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
    """A slot per metric on the chart endpoints of the one reading project (Project.ref)."""
    fragment = reverse("projects:chart", args=[project.ref])
    data = reverse("projects:chart-data", args=[project.ref])
    slots = []
    for key in keys:
        query = chart_query(key, run_ids, options, size=size)
        slots.append(ChartSlot(key, f"{fragment}?{query}", f"{data}?{query}"))
    return slots


def card(
    *, project: Project, params, data_url: str, live_url: str = "", card_url: str = ""
) -> tuple[str, dict, int]:
    """One chart card of project for the query's metric, runs and options, as (template,
    context, status); data_url is where its zoom asks for points, live_url where its badge
    polls while some of its runs log live (card_url: this card's own address, to reload it). A
    bad query is a 400 card that says what to write."""
    form = ChartCardForm(params)
    if not form.is_valid():
        return CARD_MESSAGE, {"message": form.message()}, 400
    key, run_ids, options = form.cleaned_data["metric"], form.cleaned_data["runs"], form.options()
    states = _live_states(project, run_ids) if live_url else {}
    # Taken before the points are read: the page then has every point up to it, and a point
    # drawn twice is dropped by the page (it extends a trace only past its last x).
    at = live.cursor(run_ids=list(states), key=key) if states else None
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
        card_url=card_url,
    )
    if states:
        context["live"] = _live_badge(
            live.chart_live(states),
            url=f"{live_url}?{query}",
            card=context["chart_id"],
            at=at,
            reload=bool(figure.get("summary")),
        )
    return CARD, context, 200


# --- Live cards (projects.live) -----------------------------------------------------------------


def current_ids(project: Project, run_ids: list[int] | None) -> list[int]:
    """Those of run_ids that are current runs of project (None: every one of them)."""
    runs = Run.objects.current().filter(project=project)
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    return list(runs.values_list("pk", flat=True))


def _live_states(project: Project, run_ids: list[int]) -> dict[int, live.LiveState]:
    """The live states of those of run_ids that are runs of project (others are not asked)."""
    return live.live_states(current_ids(project, run_ids))


def _live_badge(
    state: live.ChartLive,
    *,
    url: str,
    card: str,
    at: live.Cursor,
    payload: dict | None = None,
    reload: bool = False,
) -> dict:
    query = {"after": at.after, "folded": at.folded, "card": card}
    if reload:
        query["reload"] = "1"
    return {
        "label": state.label,
        "text": state.text,
        "polling": state.polling,
        "every": state.every,
        "url": f"{url}&{urlencode(query)}",
        "card": card,
        "payload": json.dumps(payload, allow_nan=False) if payload else "",
    }


def _extend_payload(points: live.NewPoints, time: bool) -> dict:
    runs = {}
    for run_id, values in points.values.items():
        x = points.times[run_id] if time else points.steps[run_id]
        finite = np.where(np.isfinite(values), values, np.nan)
        runs[str(run_id)] = {"x": json_x(x, time), "y": json_values(finite)}
    return {"mode": "extend", "runs": runs}


def _whole_traces(project: Project, key: str, run_ids: list[int], options: ChartOptions) -> dict:
    runs = series_for_chart(
        project=project, key=key, run_ids=run_ids, wall_times=options.x == "time"
    )
    built = metric_traces(runs, options, target=project_target(project, key))
    return {"data": built.figure["data"], "note": "; ".join(built.notes)}


def live_badge(*, project: Project, params, live_url: str) -> tuple[str, dict, int]:
    """The badge of a live chart card, polled by htmx, as (template, context, status): the
    points logged since its cursor to append; the whole traces when points were folded since,
    with smoothing, or when the runs ended (then 286, and htmx stops polling)."""
    form = ChartLiveForm(params)
    if not form.is_valid():
        return CARD_MESSAGE, {"message": form.message()}, 400
    key, run_ids, options = form.cleaned_data["metric"], form.cleaned_data["runs"], form.options()
    seen = live.Cursor(form.cleaned_data["after"] or 0, form.cleaned_data["folded"] or 0)
    reload = form.cleaned_data["reload"]
    states = _live_states(project, run_ids)
    state = live.chart_live(states)
    now = live.cursor(run_ids=list(states), key=key)
    points = live.new_points(run_ids=list(states), key=key, after=seen.after)
    at = live.Cursor(max(seen.after, points.cursor), now.folded)
    payload = None
    if not states:
        pass  # no run of the chart is logged live: nothing to change on it
    elif reload and (points.count or not state.polling or now.folded != seen.folded):
        # A card of one-value summaries becomes lines: it is built again.
        payload = {"mode": "reload"}
    elif (
        not state.polling
        or now.folded != seen.folded
        or (points.count and options.smooth)
        or points.count > live.MAX_EXTEND_POINTS
    ):
        # Ended (the final traces), points folded into the series since the cursor (their
        # rows are gone), smoothing (which depends on every earlier point) or too many at once.
        at = live.cursor(run_ids=list(states), key=key)
        payload = {"mode": "replace", **_whole_traces(project, key, run_ids, options)}
    elif points.count:
        payload = _extend_payload(points, options.x == "time")
    badge = _live_badge(
        state,
        url=f"{live_url}?{chart_query(key, run_ids, options)}",
        card=form.cleaned_data["card"],
        at=at,
        payload=payload,
        reload=reload,
    )
    return LIVE, {"live": badge}, 200 if state.polling else 286


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
