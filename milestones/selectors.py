"""Reads of the learning plan, shaped for the pages that show them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from projects.models import Project

from .links import safe_link
from .models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal
from .quarters import Quarter


@dataclass
class Progress:
    done: int = 0
    total: int = 0  # dropped milestones are left out

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def add(self, status: str) -> None:
        if status == MilestoneStatus.DROPPED:
            return
        self.total += 1
        if status == MilestoneStatus.DONE:
            self.done += 1


@dataclass
class GoalView:
    goal: QuarterlyGoal
    milestones: list[Milestone]
    progress: Progress
    overdue: int = 0


@dataclass
class QuarterPlan:
    quarter: Quarter
    goals: list[GoalView]
    progress: Progress
    overdue: int
    year_progress: dict[Quarter, Progress] = field(default_factory=dict)
    today: datetime.date = field(default_factory=timezone.localdate)


def _milestones_with_latest_checkin():
    latest = CheckIn.objects.filter(milestone=OuterRef("pk")).order_by("-created_at", "-id")
    count = (
        CheckIn.objects.filter(milestone=OuterRef("pk"))
        .order_by()
        .values("milestone")
        .annotate(n=Count("id"))
        .values("n")
    )
    # Only what a quarter page's rows show: its notes and row dates stay in the database.
    return Milestone.objects.defer("notes", "created_at", "updated_at").annotate(
        last_progress=Subquery(latest.values("progress")[:1]),
        checkin_count=Subquery(count[:1]),
    )


def _goal_view(goal: QuarterlyGoal, today: datetime.date) -> GoalView:
    progress = Progress()
    overdue = 0
    for milestone in goal.milestones.all():
        progress.add(milestone.status)
        milestone.overdue = milestone.is_overdue(today)
        overdue += milestone.overdue
    return GoalView(
        goal=goal, milestones=list(goal.milestones.all()), progress=progress, overdue=overdue
    )


def _goals(owner: AbstractBaseUser):
    return QuarterlyGoal.objects.owned_by(owner).prefetch_related(
        Prefetch("milestones", queryset=_milestones_with_latest_checkin())
    )


def year_progress(*, owner: AbstractBaseUser, year: int) -> dict[Quarter, Progress]:
    """Done over total milestones for each quarter of a year, in one query."""
    rows = (
        Milestone.objects.filter(goal__owner=owner, goal__year=year)
        .exclude(status=MilestoneStatus.DROPPED)
        .values("goal__quarter")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status=MilestoneStatus.DONE)))
    )
    result = {Quarter(year, q): Progress() for q in range(1, 5)}
    for row in rows:
        result[Quarter(year, row["goal__quarter"])] = Progress(done=row["done"], total=row["total"])
    return result


def quarter_plan(*, owner: AbstractBaseUser, quarter: Quarter) -> QuarterPlan:
    """The owner's goals of one quarter with milestones, latest check-ins and progress."""
    today = timezone.localdate()
    goals = [_goal_view(g, today) for g in _goals(owner).in_quarter(quarter.year, quarter.quarter)]
    total = Progress(
        done=sum(g.progress.done for g in goals), total=sum(g.progress.total for g in goals)
    )
    return QuarterPlan(
        quarter=quarter,
        goals=goals,
        progress=total,
        overdue=sum(g.overdue for g in goals),
        year_progress=year_progress(owner=owner, year=quarter.year),
        today=today,
    )


def goal_view(*, goal: QuarterlyGoal) -> GoalView:
    """One goal shaped like a card of the quarter page (after an htmx action)."""
    goal = _goals(goal.owner).get(pk=goal.pk)
    return _goal_view(goal, timezone.localdate())


def quarter_progress(*, owner: AbstractBaseUser, quarter: Quarter) -> Progress:
    return year_progress(owner=owner, year=quarter.year)[quarter]


@dataclass
class QuarterFigures:
    """Every figure of a quarter page outside the goal cards, read again after an htmx action."""

    quarter: Quarter
    progress: Progress
    year_progress: dict[Quarter, Progress]
    overdue: int


def quarter_figures(*, owner: AbstractBaseUser, quarter: Quarter) -> QuarterFigures:
    """The quarter's progress, its year strip and its overdue count (two queries).

    The same figures quarter_plan gives the page, so an htmx answer and a reload agree.
    """
    years = year_progress(owner=owner, year=quarter.year)
    overdue = (
        Milestone.objects.open()
        .filter(
            goal__owner=owner,
            goal__year=quarter.year,
            goal__quarter=quarter.quarter,
            due_date__lt=timezone.localdate(),
        )
        .order_by()
        .count()
    )
    return QuarterFigures(
        quarter=quarter, progress=years[quarter], year_progress=years, overdue=overdue
    )


def goal_for_owner(*, user: AbstractBaseUser, goal_id: int) -> QuarterlyGoal:
    """The user's own goal, or 404: someone else's goal is as absent as a missing one."""
    return get_object_or_404(QuarterlyGoal.objects.owned_by(user), pk=goal_id)


def milestone_for_owner(*, user: AbstractBaseUser, milestone_id: int) -> Milestone:
    """The user's own milestone, or 404."""
    return get_object_or_404(
        Milestone.objects.owned_by(user).select_related("goal"), pk=milestone_id
    )


def milestone_checkins(*, milestone: Milestone):
    return milestone.checkins.select_related("author")


def milestone_last_progress(*, milestone: Milestone) -> int:
    """The progress of the latest check-in, to start the next one from."""
    last = milestone.checkins.order_by("-created_at", "-id").values_list("progress", flat=True)
    return next(iter(last[:1]), 0)


# What anyone but the owner reads of Cairn's own check-in notes about a project they may not see.
SHARED_DONE_NOTE = "Done automatically: a run met this milestone's metric target."
SHARED_REOPENED_NOTE = "Reopened automatically: the run that met the metric target was removed."


def checkin_notes(checkins, *, viewer: AbstractBaseUser) -> dict[int, str]:
    """Each check-in's note as this viewer may read it, by check-in id.

    Automatic notes name a project's runs, values and files; they are read in full only by
    those who may see that project now, so a private project is named to its owner alone.
    """
    checkins = list(checkins)
    about = {c.about_project_id for c in checkins if c.automatic and c.about_project_id}
    visible = (
        set(Project.objects.visible_to(viewer).filter(pk__in=about).values_list("pk", flat=True))
        if about
        else set()
    )
    notes = {}
    for checkin in checkins:
        readable = not checkin.automatic or checkin.about_project_id in visible
        if readable or checkin.author_id == getattr(viewer, "pk", None):
            notes[checkin.pk] = checkin.note
        else:
            notes[checkin.pk] = (
                SHARED_DONE_NOTE if checkin.progress == 100 else SHARED_REOPENED_NOTE
            )
    return notes


def evidence_url_for(milestone: Milestone, *, viewer: AbstractBaseUser) -> str:
    """The milestone's evidence link, unless it is a run of a project this viewer may not see."""
    url = safe_link(milestone.evidence_url)
    if not url or milestone.evidence_run_id is None or url.startswith(("http://", "https://")):
        return url
    if milestone.goal.owner_id == getattr(viewer, "pk", None):
        return url
    project = milestone.evidence_run.project_id
    return url if Project.objects.visible_to(viewer).filter(pk=project).exists() else ""
