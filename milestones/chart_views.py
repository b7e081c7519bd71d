"""The plan's charts, each loaded on its own when it scrolls into view.

One URL, two renderings: with htmx the chart card alone, to replace its placeholder on the quarter
page; without, a small page with the same card. Everything is read for request.user, so a chart
of someone else's plan cannot be asked for.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from projects import people

from . import charts
from .best_so_far import best_so_far_figure, best_so_far_for
from .quarters import Quarter

BAD_QUARTER = "No such quarter: years run from 2000 to 2100 and quarters from 1 to 4."


def _quarter(year: int, quarter: int) -> Quarter | None:
    return Quarter(year, quarter) if 2000 <= year <= 2100 and 1 <= quarter <= 4 else None


def _card(request: HttpRequest, template: str, title: str, context: dict) -> HttpResponse:
    if request.htmx:
        return render(request, template, context)
    return render(
        request,
        "milestones/_plan_chart_page.html",
        {**context, "card_template": template, "title": title},
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def burnup(request: HttpRequest, year: int, quarter: int) -> HttpResponse:
    q = _quarter(year, quarter)
    if q is None:
        return HttpResponseBadRequest(BAD_QUARTER, content_type="text/plain; charset=utf-8")
    data = charts.burnup_for(owner=request.user, quarter=q)
    context = {"q": q, "burnup": data, "figure": charts.burnup_figure(data)}
    return _card(request, "milestones/_plan_chart_burnup.html", f"Burn-up · {q.label}", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def best_so_far(request: HttpRequest) -> HttpResponse:
    series, left_out = best_so_far_for(owner=request.user)
    shown = [
        {
            "series": s,
            "id": f"best-{s.project.pk}",
            "figure_id": f"figure-best-{s.project.pk}",
            "figure": best_so_far_figure(s),
        }
        for s in series
        if s.best
    ]
    context = {
        "shown": shown,
        "waiting": [s for s in series if not s.best],
        "left_out": left_out,
    }
    return _card(request, "milestones/_plan_chart_best.html", "Best so far", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def activity(request: HttpRequest) -> HttpResponse:
    data = charts.activity_for(request.user, public=False)
    context = {
        "activity": data,
        "calendar": charts.activity_calendar(data),
        "shown_publicly": people.profile_flags(request.user).activity_is_public,
        "profile_url": people.link(people.PROFILE_SETTINGS),
    }
    return _card(request, "milestones/_plan_chart_activity.html", "Activity", context)
