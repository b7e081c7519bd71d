"""The learning plan: one quarter page, and small actions that answer htmx with fragments.

Every action is a real form POST: with htmx it returns the updated goal card (and the quarter's
progress bar out of band); without JavaScript it redirects back to the page it came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from projects import people, targets

from . import selectors, services
from .forms import (
    CheckInForm,
    GoalForm,
    MilestoneEditForm,
    MilestoneForm,
    StatusForm,
    TitleForm,
)
from .models import Milestone, MilestoneStatus, QuarterlyGoal
from .quarters import Quarter

PAGE = "milestones/quarter.html"
# The event an in-place change of the plan sends; the plan's charts listen for it.
PLAN_CHANGED = "plan-changed"


def _quarter_or_404(year: int, quarter: int) -> Quarter:
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise Http404("No such quarter")
    return Quarter(year, quarter)


def _back(request: HttpRequest, goal: QuarterlyGoal) -> HttpResponse:
    """Where a non-htmx action returns: the page it was posted from, else the goal's quarter."""
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        return redirect(nxt)
    return redirect(goal.get_absolute_url())


def _goal_card(
    request: HttpRequest, goal: QuarterlyGoal, *, changed: bool = True, **extra
) -> HttpResponse:
    """The goal card, and every other figure of the quarter page that the action may have moved.

    The quarter's progress, the year strip and the overdue count come out of band; the charts
    (burn-up, activity) hear the event plan-changed and fetch themselves again.
    """
    figures = selectors.quarter_figures(owner=goal.owner, quarter=Quarter(goal.year, goal.quarter))
    oob = {
        "q": figures.quarter,
        "progress": figures.progress,
        "year_progress": figures.year_progress,
        "overdue": figures.overdue,
        "oob": True,
    }
    parts = [
        render_to_string(
            f"{PAGE}#goal-card", {"gv": selectors.goal_view(goal=goal), **extra}, request=request
        )
    ]
    parts += [
        render_to_string(f"{PAGE}#{name}", oob, request=request)
        for name in ("quarter-progress", "year-strip", "overdue")
    ]
    response = HttpResponse("".join(parts))
    return trigger_client_event(response, PLAN_CHANGED) if changed else response


def _card_or_back(request: HttpRequest, goal: QuarterlyGoal, *, changed: bool) -> HttpResponse:
    if request.htmx:
        card = _goal_card(request, goal, changed=changed)
        return reswap(retarget(card, f"#goal-{goal.pk}"), "outerHTML")
    return _back(request, goal)


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    current = Quarter.of(timezone.localdate())
    return redirect("milestones:quarter", current.year, current.quarter)


@login_required
@require_http_methods(["GET"])
def quarter(request: HttpRequest, year: int, quarter: int) -> HttpResponse:
    q = _quarter_or_404(year, quarter)
    plan = selectors.quarter_plan(owner=request.user, quarter=q)
    goal_form = GoalForm(initial={"year": q.year, "quarter": q.quarter})
    current = Quarter.of(timezone.localdate())
    return render(
        request,
        PAGE,
        {
            "plan": plan,
            "q": q,
            "current": current,
            "goal_form": goal_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest) -> HttpResponse:
    current = Quarter.of(timezone.localdate())
    form = GoalForm(
        request.POST or None,
        initial={
            "year": request.GET.get("year", current.year),
            "quarter": request.GET.get("quarter", current.quarter),
        },
    )
    if request.method == "POST" and form.is_valid():
        goal = services.goal_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Goal “{goal.title}” added.")
        return redirect(goal.get_absolute_url())
    return render(request, "milestones/goal_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = selectors.goal_for_owner(user=request.user, goal_id=goal_id)
    form = GoalForm(request.POST or None, instance=goal)
    if request.method == "POST" and form.is_valid():
        services.goal_update(goal=goal, **form.cleaned_data)
        messages.success(request, "Goal saved.")
        return redirect(goal.get_absolute_url())
    return render(request, "milestones/goal_form.html", {"form": form, "goal": goal})


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = selectors.goal_for_owner(user=request.user, goal_id=goal_id)
    if request.method == "POST":
        services.goal_delete(goal=goal)
        messages.success(request, f"Goal “{goal.title}” deleted.")
        return redirect("milestones:quarter", goal.year, goal.quarter)
    return render(request, "milestones/goal_delete.html", {"goal": goal})


def _title_edit(request: HttpRequest, obj, save, goal: QuarterlyGoal, kind: str) -> HttpResponse:
    """In-place title editing shared by goals and milestones."""
    form = TitleForm(request.POST or None, initial={"title": obj.title})
    if request.method == "POST" and form.is_valid():
        save(title=form.cleaned_data["title"])
        # A new name moves no figure: the charts need not fetch themselves again.
        return _card_or_back(request, goal, changed=False)
    context = {"form": form, "obj": obj, "kind": kind, "goal": goal}
    if request.htmx:
        return render(request, "milestones/title_form.html#title-form", context)
    return render(request, "milestones/title_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def goal_title(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = selectors.goal_for_owner(user=request.user, goal_id=goal_id)
    return _title_edit(
        request, goal, lambda **f: services.goal_update(goal=goal, **f), goal, "goal"
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def milestone_title(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = selectors.milestone_for_owner(user=request.user, milestone_id=milestone_id)
    return _title_edit(
        request,
        milestone,
        lambda **f: services.milestone_update(milestone=milestone, **f),
        milestone.goal,
        "milestone",
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def milestone_create(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = selectors.goal_for_owner(user=request.user, goal_id=goal_id)
    form = MilestoneForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        milestone = services.milestone_create(goal=goal, **form.cleaned_data)
        if milestone.status == MilestoneStatus.DONE and not request.htmx:
            messages.success(request, _AUTO_DONE.format(title=milestone.title))
        if request.htmx:
            return _goal_card(request, goal)
        return _back(request, goal)
    if request.htmx:
        # Keep what was typed: the card comes back with the form's errors and values.
        return _goal_card(request, goal, changed=False, add_form=form, add_form_goal=goal.pk)
    return render(request, "milestones/milestone_new.html", {"form": form, "goal": goal})


@login_required
@require_POST
@vary_on_headers("HX-Request")
def milestone_status(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = selectors.milestone_for_owner(user=request.user, milestone_id=milestone_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _goal_card(request, milestone.goal, changed=False)
        messages.error(request, "That status change was not understood; nothing changed.")
        return _back(request, milestone.goal)
    services.milestone_set_status(
        milestone=milestone,
        status=form.cleaned_data["status"],
        evidence_url=form.cleaned_data["evidence_url"] or None,
    )
    if request.htmx:
        return _goal_card(request, milestone.goal)
    return _back(request, milestone.goal)


_AUTO_DONE = "“{title}” saved and done: a run already meets its target (see the check-in)."


def _target_state(milestone: Milestone) -> dict | None:
    """The milestone's metric target and the project's best run on it so far."""
    if not milestone.has_target:
        return None
    project = milestone.target_project
    best = None
    if project is not None:
        best = targets.best_run(
            project=project,
            metric=milestone.target_metric,
            comparison=milestone.target_comparison,
        )
    met = best is not None and targets.is_met(
        best.value, milestone.target_comparison, milestone.target_threshold
    )
    return {"project": project, "best": best, "met": met}


@login_required
@require_http_methods(["GET", "POST"])
def milestone_detail(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = selectors.milestone_for_owner(user=request.user, milestone_id=milestone_id)
    form = MilestoneEditForm(request.POST or None, instance=milestone, owner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            # is_valid() already wrote the form's values onto the instance; the service
            # starts again from the stored row, so that it sees the real changes.
            saved = services.milestone_edit(milestone=milestone, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            auto_done = saved.status != form.cleaned_data["status"]
            text = _AUTO_DONE.format(title=saved.title) if auto_done else "Milestone saved."
            messages.success(request, text)
            return redirect(saved.get_absolute_url())
    return _milestone_page(request, milestone, form)


def _milestone_page(request: HttpRequest, milestone: Milestone, form) -> HttpResponse:
    return render(
        request,
        "milestones/milestone_detail.html",
        {
            "milestone": milestone,
            "target": _target_state(milestone),
            "form": form,
            "checkin_form": CheckInForm(),
            "checkins": selectors.milestone_checkins(milestone=milestone),
            "overdue": milestone.is_overdue(),
            "feedback_url": people.link(
                people.MILESTONE_FEEDBACK, owner=request.user, milestone=milestone
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def milestone_delete(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone = selectors.milestone_for_owner(user=request.user, milestone_id=milestone_id)
    if request.method == "POST":
        goal = milestone.goal
        services.milestone_delete(milestone=milestone)
        messages.success(request, f"Milestone “{milestone.title}” deleted.")
        return redirect(goal.get_absolute_url())
    return render(request, "milestones/milestone_delete.html", {"milestone": milestone})


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def checkin_create(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone: Milestone = selectors.milestone_for_owner(
        user=request.user, milestone_id=milestone_id
    )
    form = CheckInForm(
        request.POST or None,
        initial={"progress": selectors.milestone_last_progress(milestone=milestone)},
    )
    if request.method == "POST" and form.is_valid():
        services.checkin_create(milestone=milestone, author=request.user, **form.cleaned_data)
        if not request.htmx:
            messages.success(request, "Check-in logged.")
        return _card_or_back(request, milestone.goal, changed=True)
    context = {"form": form, "milestone": milestone}
    if request.htmx:
        return render(request, "milestones/checkin_form.html#checkin-form", context)
    return render(request, "milestones/checkin_form.html", context)
