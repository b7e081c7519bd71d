"""Writes to the learning plan. Callers have already checked that the user owns the goal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal

GOAL_FIELDS = ("year", "quarter", "title", "why", "success_criterion", "visibility")
MILESTONE_FIELDS = ("title", "notes", "due_date", "evidence_url")


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


def milestone_create(
    *, goal: QuarterlyGoal, title: str, due_date=None, notes: str = ""
) -> Milestone:
    """Add a planned milestone at the end of a goal."""
    last = goal.milestones.aggregate(m=Max("position"))["m"]
    milestone = Milestone(
        goal=goal, title=title, due_date=due_date, notes=notes, position=(last or 0) + 1
    )
    milestone.full_clean()
    milestone.save()
    return milestone


def milestone_update(*, milestone: Milestone, **fields) -> Milestone:
    """Change a milestone's title, notes, due date or evidence link."""
    for name, value in fields.items():
        if name not in MILESTONE_FIELDS:
            raise ValueError(f"{name} is not an editable milestone field")
        setattr(milestone, name, value)
    milestone.full_clean()
    milestone.save()
    return milestone


def milestone_set_status(
    *, milestone: Milestone, status: str, evidence_url: str | None = None
) -> Milestone:
    """Move a milestone to a status; done stamps done_at, any other status clears it."""
    if status not in MilestoneStatus.values:
        raise ValueError(f"unknown status {status!r}")
    if status == MilestoneStatus.DONE:
        if milestone.status != MilestoneStatus.DONE:
            milestone.done_at = timezone.now()
    else:
        milestone.done_at = None
    milestone.status = status
    if evidence_url is not None:
        milestone.evidence_url = evidence_url
    milestone.full_clean()
    milestone.save()
    return milestone


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
