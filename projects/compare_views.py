"""Comparing a project's runs side by side, and statistics over groups of runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from . import compare, groups, selectors, services
from .metrics import metric_direction
from .query_forms import CHARTS, WHICH, CompareForm, DirectionForm, StatsForm
from .selectors.charts import metric_points
from .stats import MIN_RUNS


@login_required
@require_GET
def runs_compare(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    form = CompareForm(request.GET)
    if form.is_valid():
        page = compare.runs_comparison(project=project, **form.choices())
    else:
        page = compare.comparison_refused(project=project, error=form.message())
    context = {
        "project": project,
        "page": page,
        "chosen_ids": {row["id"] for row in page.chosen},
        "where": request.GET.get("where", "")[:500],
        "charts": CHARTS,
        "which_choices": WHICH,
        "name_key": compare.NAME_KEY,
    }
    return render(request, "projects/compare.html", context, status=400 if page.error else 200)


@login_required
@require_GET
def runs_stats(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    form = StatsForm(request.GET)
    if form.is_valid():
        page = groups.project_statistics(project=project, **form.choices())
    else:
        page = groups.statistics_refused(project=project, error=form.message())
    direction = project.metric_directions.get(page.metric, "")
    context = {
        "project": project,
        "page": page,
        "which_choices": WHICH,
        "min_runs": MIN_RUNS,
        "max_pairs": groups.MAX_PAIRS,
        "groups": groups.group_rows(page),
        "comparisons": groups.comparison_rows(page),
        "direction_form": DirectionForm(initial={"metric": page.metric, "direction": direction}),
    }
    return render(request, "projects/stats.html", context, status=400 if page.error else 200)


@login_required
@require_POST
def metric_direction_set(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    form = DirectionForm(request.POST, metrics=set(metric_points(project=project)))
    back = reverse("projects:stats", args=[project.slug])
    if not form.is_valid():
        messages.error(
            request, "Pick higher, lower or the guess from the name for a metric of these runs."
        )
        return redirect(back)
    metric = form.cleaned_data["metric"]
    services.metric_direction_set(
        project=project, metric=metric, direction=form.cleaned_data["direction"]
    )
    direction = metric_direction(metric, project)
    messages.success(request, f"{metric}: {direction} is better.")
    query = {k: request.POST[k] for k in ("key", "which") if request.POST.get(k)}
    return redirect(f"{back}?{urlencode({**query, 'metric': metric})}")
