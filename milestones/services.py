"""Writes to the learning plan. Callers have already checked that the user owns the goal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from projects.models import Project

from .models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal
from .signals import milestone_completed
from .target_services import milestone_complete_if_met

GOAL_FIELDS = ("year", "quarter", "title", "why", "success_criterion", "visibility")
TARGET_FIELDS = ("target_project", "target_metric", "target_comparison", "target_threshold")
MILESTONE_FIELDS = ("title", "notes", "due_date", "evidence_url", *TARGET_FIELDS)


def goal_create(
    *,
    owner: AbstractBaseUser,
    year: int,
    quarter: int,
    title: str,
    why: str = "",
    success_criterion: str = "",
    visibility: str = "private",
) -> QuarterlyGoal:
    """Add a goal at the end of its quarter."""
    last = QuarterlyGoal.objects.filter(owner=owner, year=year, quarter=quarter).aggregate(
        m=Max("position")
    )["m"]
    goal = QuarterlyGoal(
        owner=owner,
        year=year,
        quarter=quarter,
        title=title,
        why=why,
        success_criterion=success_criterion,
        visibility=visibility,
        position=(last or 0) + 1,
    )
    goal.full_clean()
    goal.save()
    return goal


def goal_update(*, goal: QuarterlyGoal, **fields) -> QuarterlyGoal:
    """Change a goal's fields (title, why, success criterion, visibility, quarter)."""
    for name, value in fields.items():
        if name not in GOAL_FIELDS:
            raise ValueError(f"{name} is not an editable goal field")
        setattr(goal, name, value)
    goal.full_clean()
    goal.save()
    return goal


def goal_delete(*, goal: QuarterlyGoal) -> None:
    """Delete a goal with its milestones and check-ins."""
    goal.delete()


def _target_of(milestone: Milestone) -> tuple:
    return tuple(getattr(milestone, name) for name in TARGET_FIELDS)


def _clean_target(milestone: Milestone) -> None:
    """A target is on one of the goal owner's own projects, and whole or absent."""
    milestone.target_metric = (milestone.target_metric or "").strip()
    if milestone.target_project is not None:
        if milestone.target_project.owner_id != milestone.goal.owner_id:
            raise ValidationError({"target_project": "Choose one of your own projects."})
    elif milestone.target_metric and milestone._state.adding:
        raise ValidationError({"target_project": "Choose the project the runs come from."})


def milestone_create(
    *,
    goal: QuarterlyGoal,
    title: str,
    due_date=None,
    notes: str = "",
    target_project: Project | None = None,
    target_metric: str = "",
    target_comparison: str = "",
    target_threshold: float | None = None,
) -> Milestone:
    """Add a planned milestone at the end of a goal; done at once if a run meets its target."""
    last = goal.milestones.aggregate(m=Max("position"))["m"]
    milestone = Milestone(
        goal=goal,
        title=title,
        due_date=due_date,
        notes=notes,
        position=(last or 0) + 1,
        target_project=target_project,
        target_metric=target_metric,
        target_comparison=target_comparison,
        target_threshold=target_threshold,
    )
    _clean_target(milestone)
    milestone.full_clean()
    with transaction.atomic():
        milestone.save()
        if milestone.has_target:
            milestone_complete_if_met(milestone=milestone)
    return milestone


def milestone_update(*, milestone: Milestone, **fields) -> Milestone:
    """Change a milestone's title, notes, due date, evidence link or metric target.

    Setting or changing the target of an open milestone completes it when a run already
    meets it.
    """
    before = _target_of(milestone)
    for name, value in fields.items():
        if name not in MILESTONE_FIELDS:
            raise ValueError(f"{name} is not an editable milestone field")
        setattr(milestone, name, value)
    _clean_target(milestone)
    milestone.full_clean()
    with transaction.atomic():
        milestone.save()
        if milestone.has_target and milestone.is_open and _target_of(milestone) != before:
            milestone_complete_if_met(milestone=milestone)
    return milestone


def milestone_set_status(
    *, milestone: Milestone, status: str, evidence_url: str | None = None
) -> Milestone:
    """Move a milestone to a status; done stamps done_at, any other status clears it."""
    if status not in MilestoneStatus.values:
        raise ValueError(f"unknown status {status!r}")
    completed = status == MilestoneStatus.DONE and milestone.status != MilestoneStatus.DONE
    if status == MilestoneStatus.DONE:
        if completed:
            milestone.done_at = timezone.now()
    else:
        milestone.done_at = None
        # A run is evidence of being done; a reopened milestone keeps only a typed link.
        milestone.evidence_run = None
    milestone.status = status
    if evidence_url is not None:
        milestone.evidence_url = evidence_url
    milestone.full_clean()
    with transaction.atomic():
        milestone.save()
        if completed:
            milestone_completed.send_robust(sender=Milestone, milestone=milestone)
    return milestone


def milestone_edit(*, milestone: Milestone, status: str, **fields) -> Milestone:
    """Save the milestone page: its status and its fields, in one transaction.

    The status goes first (done stamps done_at, reopening clears the evidence run), then the
    fields, so that a new target that a run already meets completes a milestone left open. A
    refused field undoes the status change too, and mentors hear of nothing.
    """
    with transaction.atomic():
        milestone = (
            Milestone.objects.select_for_update(of=("self",))
            .select_related("goal__owner", "target_project")
            .get(pk=milestone.pk)
        )
        milestone_set_status(milestone=milestone, status=status)
        return milestone_update(milestone=milestone, **fields)


def milestone_delete(*, milestone: Milestone) -> None:
    """Delete a milestone with its check-ins."""
    milestone.delete()


@transaction.atomic
def checkin_create(
    *,
    milestone: Milestone,
    author: AbstractBaseUser,
    progress: int,
    confidence: int = 3,
    note: str = "",
) -> CheckIn:
    """Log progress on a milestone; the first check-in on a planned milestone starts it."""
    checkin = CheckIn(
        milestone=milestone, author=author, progress=progress, confidence=confidence, note=note
    )
    checkin.full_clean()
    checkin.save()
    if milestone.status == MilestoneStatus.PLANNED:
        milestone.status = MilestoneStatus.IN_PROGRESS
        milestone.save(update_fields=["status", "updated_at"])
    return checkin
