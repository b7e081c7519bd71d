"""Metric charts: the results page, the lazy chart fragment and the zoom data behind it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from . import chart_cards, chart_watch, pins, selectors
from .query_forms import ResultsForm
from .selectors.charts import charts_page


@login_required
@require_GET
def chart_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    """One chart card, loaded by htmx when its slot scrolls into view."""
    project = selectors.project_for_reader(user=request.user, slug=slug)
    template, context, status = chart_cards.card(
        project=project,
        params=request.GET,
        data_url=reverse("projects:chart-data", args=[project.ref]),
        live_url=reverse("projects:chart-live", args=[project.ref]),
        card_url=request.get_full_path(),
    )
    return render(request, template, context, status=status)


@login_required
@require_GET
def chart_live(request: HttpRequest, slug: str) -> HttpResponse:
    """The live badge of a chart card with the points logged since the page last asked."""
    project = selectors.project_for_reader(user=request.user, slug=slug)
    template, context, status = chart_cards.live_badge(
        project=project,
        params=request.GET,
        live_url=reverse("projects:chart-live", args=[project.ref]),
    )
    return render(request, template, context, status=status)


@login_required
@require_GET
def chart_keys(request: HttpRequest, slug: str) -> HttpResponse:
    """Chart slots for the metrics a page's live runs began to log since it last asked."""
    project = selectors.project_for_reader(user=request.user, slug=slug)

    def slots(keys, run_ids, options, layout):
        size = "small" if layout == "results" else ""
        return chart_cards.chart_slots(project, keys, run_ids, options, size)

    template, context, status = chart_watch.live_keys(
        project=project,
        params=request.GET,
        url=reverse("projects:chart-keys", args=[project.ref]),
        slots=slots,
    )
    return render(request, template, context, status=status)


@login_required
@require_GET
def chart_data(request: HttpRequest, slug: str) -> JsonResponse:
    """The points behind a chart card, for zooming."""
    project = selectors.project_for_reader(user=request.user, slug=slug)
    data, status = chart_cards.points(project=project, params=request.GET)
    return JsonResponse(data, status=status, json_dumps_params={"allow_nan": False})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def results(request: HttpRequest, slug: str) -> HttpResponse:
    """Charts of a project's runs: one metric for the chosen runs, then every metric small."""
    project = selectors.project_for_reader(user=request.user, slug=slug)
    form = ResultsForm(request.GET)
    cursor = chart_watch.keys_cursor()  # before the page reads its metrics (keys_watch)
    page = charts_page(
        project=project,
        key=form.value("metric", ""),
        options=form.options(),
        chosen=form.chosen(),
        q=form.value("q", ""),
        errors=[str(m) for messages in form.errors.values() for m in messages],
    )
    context = {
        "project": project,
        "page": page,
        "q": form.value("q", ""),
        **chart_watch.results_charts(project=project, page=page, after=cursor),
        "feedback": pins.pin_form(request, project, metric=page.key, run_ids=page.run_ids),
    }
    if request.htmx and not request.htmx.history_restore_request:
        # The options form asks for the charts only; going back in history needs the page.
        return render(request, "projects/results.html#chart-area", context)
    return render(request, "projects/results.html", context)
