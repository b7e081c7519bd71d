"""Comparing a project's runs side by side, and statistics over groups of runs."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from . import compare, selectors
from .metrics import metric_direction
from .stats import MIN_RUNS, fmt, fmt_p


class DirectionForm(forms.Form):
    metric = forms.CharField(max_length=255)
    direction = forms.ChoiceField(
        choices=[
            ("", "The record's, else a guess from its name"),
            ("higher", "Higher is better"),
            ("lower", "Lower is better"),
        ],
        required=False,
    )


@login_required
@require_GET
def runs_compare(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    try:
        run_ids = compare.parse_run_ids([*request.GET.getlist("runs"), *request.GET.getlist("run")])
        error = ""
    except compare.ChoiceError as exc:
        run_ids, error = [], str(exc)
    page = compare.runs_comparison(
        project=project,
        run_ids=run_ids,
        where=request.GET.get("where", "").strip()[:500],
        metric=request.GET.get("metric", ""),
        which=request.GET.get("which", "last"),
        chart=request.GET.get("chart", ""),
        x=request.GET.get("x", ""),
    )
    page.error = error or page.error
    context = {
        "project": project,
        "page": page,
        "chosen_ids": {row["id"] for row in page.chosen},
        "where": request.GET.get("where", "")[:500],
        "charts": compare.CHARTS,
        "which_choices": compare.WHICH,
        "name_key": compare.NAME_KEY,
    }
    return render(request, "projects/compare.html", context, status=400 if page.error else 200)


@login_required
@require_GET
def runs_stats(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    page = compare.project_statistics(
        project=project,
        key=request.GET.get("key", ""),
        metric=request.GET.get("metric", ""),
        which=request.GET.get("which", "last"),
        a=request.GET.get("a", ""),
        b=request.GET.get("b", ""),
    )
    context = {
        "project": project,
        "page": page,
        "which_choices": compare.WHICH,
        "min_runs": MIN_RUNS,
        "groups": [
            {
                "g": g,
                "mean": fmt(g.mean),
                "sd": fmt(g.sd),
                "ci": f"[{fmt(g.ci_low)}, {fmt(g.ci_high)}]" if g.ci_low is not None else "–",
            }
            for g in page.groups
        ],
        "comparisons": [
            {
                "c": c,
                "diff": fmt(c.diff),
                "p": fmt_p(c.p_value),
                "ci": f"[{fmt(c.boot_low)}, {fmt(c.boot_high)}]" if c.boot_low is not None else "–",
                "g": "–" if c.hedges_g is None else f"{c.hedges_g:.2f}",
            }
            for c in page.comparisons
        ],
        "direction_form": DirectionForm(
            initial={
                "metric": page.metric,
                "direction": project.metric_directions.get(page.metric, ""),
            }
        ),
    }
    return render(request, "projects/stats.html", context, status=400 if page.error else 200)


@login_required
@require_POST
def metric_direction_set(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    form = DirectionForm(request.POST)
    back = reverse("projects:stats", args=[project.slug])
    if form.is_valid() and form.cleaned_data["metric"] not in compare.project_metric_names(project):
        form.add_error("metric", "No run has this metric.")
    if not form.is_valid():
        messages.error(
            request, "Pick higher, lower or the guess from the name for a metric of these runs."
        )
        return redirect(back)
    metric = form.cleaned_data["metric"]
    compare.metric_direction_set(
        project=project, metric=metric, direction=form.cleaned_data["direction"]
    )
    direction = metric_direction(metric, project)
    messages.success(request, f"{metric}: {direction} is better.")
    query = {k: request.POST[k] for k in ("key", "which") if request.POST.get(k)}
    return redirect(f"{back}?{urlencode({**query, 'metric': metric})}")
