"""Metric charts: the results page, the lazy chart fragment and the zoom data behind it."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from . import selectors
from .charts import (
    MAX_SMOOTHING,
    ChartOptions,
    SeriesData,
    Target,
    Window,
    is_summary,
    metric_figure,
    metric_traces,
    summary_figure,
)
from .labels import labels_for, run_labels
from .metrics import metric_direction, rank, summary_best
from .models import MetricSeries, Project, Run
from .series import VALUE_DTYPE, unpack

DEFAULT_RUNS = 10
MAX_RUNS = 50  # overlaid on one chart; more is a blur


class BadRequest(ValueError):
    """A query parameter a person can correct; its message says how."""


# --- Reading the query -------------------------------------------------------------------------


def parse_options(params) -> ChartOptions:
    """x axis, smoothing and log scale from a query string, or BadRequest."""
    x = params.get("x") or "step"
    if x not in ("step", "time"):
        raise BadRequest("x must be “step” or “time”.")
    raw = (params.get("smooth") or "0").strip()
    try:
        smooth = float(raw)
    except ValueError:
        raise BadRequest("smooth must be a number from 0 to 0.99.") from None
    if not (math.isfinite(smooth) and 0 <= smooth <= MAX_SMOOTHING):
        raise BadRequest("smooth must be a number from 0 to 0.99.")
    log = params.get("log") or "0"
    if log not in ("0", "1", "on"):
        raise BadRequest("log must be 0 or 1.")
    return ChartOptions(x=x, smooth=smooth, log=log in ("1", "on"))


def parse_run_ids(params) -> list[int]:
    """Run ids from runs=1,2,3 or runs=1&runs=2, in the order given, without repeats."""
    ids: list[int] = []
    for chunk in params.getlist("runs"):
        for part in chunk.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise BadRequest("runs must be run ids separated by commas, e.g. runs=1,2,3.")
            if int(part) not in ids:
                ids.append(int(part))
    if len(ids) > MAX_RUNS:
        raise BadRequest(f"At most {MAX_RUNS} runs fit on one chart.")
    return ids


def _parse_bound(value: str, time: bool) -> float:
    value = value.strip()
    if time:
        # plotly's date axis reports "2026-01-05 12:00:00.123", without a zone: the axis is UTC.
        try:
            moment = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            raise BadRequest("x0 and x1 must be dates on a wall-time chart.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    try:
        number = float(value)
    except ValueError:
        raise BadRequest("x0 and x1 must be numbers (steps).") from None
    if not math.isfinite(number):
        raise BadRequest("x0 and x1 must be numbers (steps).")
    return number


def parse_window(params, options: ChartOptions) -> Window | None:
    if not params.get("x0") and not params.get("x1"):
        return None
    if not (params.get("x0") and params.get("x1")):
        raise BadRequest("Give both x0 and x1, or neither.")
    time = options.x == "time"
    x0, x1 = _parse_bound(params["x0"], time), _parse_bound(params["x1"], time)
    return Window(min(x0, x1), max(x0, x1))


# --- Reading the data ----------------------------------------------------------------------------


def series_for_chart(
    *, project: Project, key: str, run_ids: list[int], wall_times: bool = False
) -> list[SeriesData]:
    """The points of one metric for the given runs of the project, in the order of run_ids;
    runs of other projects and runs without the metric are left out."""
    fields = ["run_id", "run__params", "count", "steps", "values"]
    if wall_times:
        fields.append("wall_times")
    rows = MetricSeries.objects.filter(
        run__project=project, run_id__in=run_ids, key=key
    ).values_list(*fields)
    by_run = {}
    labels = labels_for(project, run_ids) if run_ids else {}
    for row in rows:
        series = MetricSeries(count=row[2], steps=row[3], values=row[4])
        times = unpack(row[5], VALUE_DTYPE) if wall_times else None
        by_run[row[0]] = SeriesData(
            name=labels.get(row[0], str(row[0])),
            steps=series.step_array(),
            values=series.value_array(),
            wall_times=times,
            params=row[1] or {},
        )
    return [by_run[i] for i in run_ids if i in by_run]


def project_target(project: Project, key: str) -> Target | None:
    """The project's success target when it is about this metric."""
    revision = project.current_revision
    if revision is None or revision.success_metric != key or revision.success_target is None:
        return None
    return Target(
        value=revision.success_target,
        direction=metric_direction(key, project, revision=revision),
    )


@dataclass
class RunChoice:
    id: int
    name: str
    best: float | None
    checked: bool
    metrics: frozenset = frozenset()
    points: int = 0  # of the metric: 1 for a summary (a runs-table row), more for a curve


# A chart of summaries shows more runs than a chart of curves: a dot per run stays readable.
DEFAULT_SUMMARY_RUNS = 30


def _points(summary: dict | None, key: str) -> int:
    stats = (summary or {}).get(key) or {}
    count = stats.get("count")
    return int(count) if isinstance(count, int | float) else 2


def run_choices(
    *, project: Project, key: str, q: str = "", chosen: list[int] | None = None
) -> list[RunChoice]:
    """The project's runs, curves before one-point summaries, then best first on the metric,
    filtered by words in the name or params; the chosen ones checked, or by default the best
    DEFAULT_RUNS with a curve of the metric (the best summaries when no run has a curve)."""
    rows = list(
        Run.objects.filter(project=project).values("id", "name", "params", "summary", "started_at")
    )
    labels = run_labels(rows)
    words = q.lower().split()
    direction = metric_direction(key, project)
    choices = []
    for row in rows:
        run_id, params, summary = row["id"], row["params"], row["summary"]
        checked = chosen is not None and run_id in chosen
        if words and not checked:
            # Chosen runs stay in the list whatever the filter, so they stay chosen.
            haystack = " ".join([labels[run_id], *(f"{k}={v}" for k, v in (params or {}).items())])
            if not all(word in haystack.lower() for word in words):
                continue
        stats = (summary or {}).get(key) or {}
        best = summary_best(stats, direction)
        choices.append(
            RunChoice(
                run_id,
                labels[run_id],
                best,
                checked,
                frozenset(summary or {}),
                _points(summary, key) if stats else 0,
            )
        )

    def order(c: RunChoice):
        value = rank(c.best, direction) if c.best is not None else 0
        return (c.best is None, c.points <= 1, value)

    choices.sort(key=order)
    if chosen is None:
        with_value = [c for c in choices if c.best is not None]
        curves = [c for c in with_value if c.points > 1]
        default = curves[:DEFAULT_RUNS] if curves else with_value[:DEFAULT_SUMMARY_RUNS]
        for choice in default:
            choice.checked = True
    return choices


def project_metrics(*, project: Project) -> list[str]:
    """Every metric any run of the project has, by name."""
    return sorted(metric_points(project=project))


def metric_points(*, project: Project) -> dict[str, int]:
    """Every metric any run of the project has, with the most points any run has of it."""
    most: dict[str, int] = {}
    for summary in Run.objects.filter(project=project).values_list("summary", flat=True):
        for key in summary or {}:
            most[key] = max(most.get(key, 0), _points(summary, key))
    return most


def default_metric(project: Project, points: dict[str, int]) -> str:
    """The metric the Charts tab opens on: the success metric when some run has a curve of it
    (or when no metric has a curve), else the first metric with a curve."""
    revision = project.current_revision
    wanted = revision.success_metric if revision else ""
    curves = sorted(k for k, n in points.items() if n > 1)
    if wanted in points and (wanted in curves or not curves):
        return wanted
    return curves[0] if curves else min(points, default="")


# --- URLs the pages hand to htmx ---------------------------------------------------------------


def chart_query(key: str, run_ids: list[int], options: ChartOptions, **extra) -> str:
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
    fragment = reverse("projects:chart", args=[project.slug])
    data = reverse("projects:chart-data", args=[project.slug])
    slots = []
    for key in keys:
        query = chart_query(key, run_ids, options, size=size)
        slots.append(ChartSlot(key, f"{fragment}?{query}", f"{data}?{query}"))
    return slots


# --- Views -------------------------------------------------------------------------------------


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "projects/_chart_message.html", {"message": message})
    response.status_code = 400
    return response


def chart_card(request: HttpRequest, project: Project, data_url: str) -> HttpResponse:
    """One chart card of project (figure JSON included) for the query's metric, runs and options;
    data_url is where its zoom asks for points (the owner's or the public endpoint)."""
    key = request.GET.get("metric", "").strip()
    try:
        if not key:
            raise BadRequest("Say which metric to chart: metric=KEY.")
        options = parse_options(request.GET)
        run_ids = parse_run_ids(request.GET)
    except BadRequest as exc:
        return _bad_request(request, str(exc))
    small = request.GET.get("size") == "small"
    runs = series_for_chart(
        project=project, key=key, run_ids=run_ids, wall_times=options.x == "time"
    )
    context = {"key": key, "project": project}
    if not runs:
        context["message"] = f"None of the chosen runs has a metric “{key}”."
        return render(request, "projects/_chart.html", context)
    height = 240 if small else 360
    target = project_target(project, key)
    if is_summary(runs):
        # One value per run (a runs table): a dot per run, not lines that draw nothing.
        figure = summary_figure(key, runs, target=target, height=height, log=options.log)
    else:
        figure = metric_figure(key, runs, options, target=target, height=height)
    if not figure["data"]:
        context["message"] = "; ".join([figure["note"]]) or "Nothing to draw."
        return render(request, "projects/_chart.html", context)
    query = chart_query(key, run_ids, options)
    chart_id = "chart-" + hashlib.blake2s(f"{query}&{small}".encode(), digest_size=6).hexdigest()
    context.update(
        figure=figure,
        chart_id=chart_id,
        figure_id=f"figure-{chart_id}",
        data_url="" if figure.get("summary") else f"{data_url}?{query}",
        runs=runs,
        small=small,
        options=options,
    )
    return render(request, "projects/_chart.html", context)


def chart_points(request: HttpRequest, project: Project) -> JsonResponse:
    """One metric's traces of project as JSON: the whole range, or a zoomed window (x0..x1) at
    full resolution up to the same cap."""
    key = request.GET.get("metric", "").strip()
    try:
        if not key:
            raise BadRequest("Say which metric: metric=KEY.")
        options = parse_options(request.GET)
        run_ids = parse_run_ids(request.GET)
        window = parse_window(request.GET, options)
    except BadRequest as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    runs = series_for_chart(
        project=project, key=key, run_ids=run_ids, wall_times=options.x == "time"
    )
    built = metric_traces(runs, options, target=project_target(project, key), window=window)
    return JsonResponse(
        {
            "metric": key,
            "data": built.figure["data"],
            "note": "; ".join(built.notes),
            "points": built.points_sent,
        },
        json_dumps_params={"allow_nan": False},
    )


@login_required
@require_GET
def chart_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    """One chart card, loaded by htmx when its slot scrolls into view."""
    project = selectors.project_for_owner(user=request.user, slug=slug)
    return chart_card(request, project, reverse("projects:chart-data", args=[project.slug]))


@login_required
@require_GET
def chart_data(request: HttpRequest, slug: str) -> JsonResponse:
    """The points behind a chart card, for zooming."""
    project = selectors.project_for_owner(user=request.user, slug=slug)
    return chart_points(request, project)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def results(request: HttpRequest, slug: str) -> HttpResponse:
    """Charts of a project's runs: one metric for the chosen runs, then every metric small."""
    project = selectors.project_for_owner(user=request.user, slug=slug)
    points = metric_points(project=project)
    metrics = sorted(points)
    errors = []
    try:
        options = parse_options(request.GET)
    except BadRequest as exc:
        errors.append(str(exc))
        options = ChartOptions()
    key = request.GET.get("metric", "")
    if key and key not in metrics:
        errors.append(f"No run has a metric “{key}”; showing another.")
        key = ""
    if not key and metrics:
        key = default_metric(project, points)
    try:
        chosen = parse_run_ids(request.GET) if "runs" in request.GET else None
    except BadRequest as exc:
        errors.append(str(exc))
        chosen = None
    q = request.GET.get("q", "").strip()
    choices = run_choices(project=project, key=key, q=q, chosen=chosen) if key else []
    if chosen and not any(c.checked and c.best is not None for c in choices):
        # None of the chosen runs has this metric (it was just switched): the best runs of it.
        choices = run_choices(project=project, key=key, q=q)
    run_ids = [c.id for c in choices if c.checked]
    if chosen == [] and key:
        errors.append("Choose at least one run to chart.")
    # Small charts of the other metrics that the chosen runs have.
    # Curves before one-value summaries.
    others = sorted(
        set().union(*(c.metrics for c in choices if c.checked)) - {key},
        key=lambda m: (points.get(m, 0) <= 1, m),
    )
    context = {
        "project": project,
        "metrics": metrics,
        "key": key,
        "options": options,
        "smooth_percent": round(options.smooth * 100),
        "choices": choices,
        "run_ids": run_ids,
        "q": q,
        "errors": errors,
        "has_runs": bool(metrics),
        "main": chart_slots(project, [key], run_ids, options)[0] if key and run_ids else None,
        "others": chart_slots(project, others, run_ids, options, "small"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        # The options form asks for the charts only; going back in history needs the page.
        return render(request, "projects/results.html#chart-area", context)
    return render(request, "projects/results.html", context)
