"""Writes to the learning plan. Callers have already checked that the user owns the goal."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from projects import targets
from projects.models import ExperimentImport, Project, Run

from .models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal
from .signals import milestone_completed

log = logging.getLogger(__name__)

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


# --- Metric targets -----------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.6g}"


def target_text(milestone: Milestone) -> str:
    """The target as a short phrase: "val/accuracy ≥ 0.9"."""
    return f"{milestone.target_metric} {_target(milestone)}"


def _target(milestone: Milestone) -> str:
    return targets.target_phrase(milestone.target_comparison, milestone.target_threshold)


def _automatic_checkin(milestone: Milestone, *, progress: int, note: str) -> CheckIn:
    return CheckIn.objects.create(
        milestone=milestone,
        author=milestone.goal.owner,
        progress=progress,
        confidence=5 if progress == 100 else 3,
        note=note,
        automatic=True,
        about_project_id=milestone.target_project_id,
    )


def _complete(milestone: Milestone, run: targets.RunValue) -> None:
    milestone.status = MilestoneStatus.DONE
    milestone.done_at = timezone.now()
    milestone.evidence_run_id = run.id
    milestone.evidence_url = run.url
    milestone.save(
        update_fields=["status", "done_at", "evidence_run", "evidence_url", "updated_at"]
    )
    milestone_completed.send_robust(sender=Milestone, milestone=milestone)
    _automatic_checkin(
        milestone,
        progress=100,
        note=(
            f"Done automatically: run {run.name} reached {milestone.target_metric} "
            f"{_number(run.value)} (target {_target(milestone)}) in import {run.import_name}."
        ),
    )


def _best_for(milestone: Milestone, **options) -> targets.RunValue | None:
    return targets.best_run(
        project=milestone.target_project,
        metric=milestone.target_metric,
        comparison=milestone.target_comparison,
        **options,
    )


def _meets(milestone: Milestone, run: targets.RunValue | None) -> bool:
    return run is not None and targets.is_met(
        run.value, milestone.target_comparison, milestone.target_threshold
    )


@transaction.atomic
def milestone_complete_if_met(*, milestone: Milestone) -> bool:
    """Mark an open milestone done when one of its project's runs already meets its target."""
    if not (milestone.is_open and milestone.has_target and milestone.target_project_id):
        return False
    best = _best_for(milestone)
    if not _meets(milestone, best):
        return False
    _complete(milestone, best)
    return True


def milestones_complete_from_import(*, experiment_import: ExperimentImport) -> list[Milestone]:
    """Complete the owner's open milestones whose target a run of this import meets.

    The evidence is the import's best run on the target's metric. Each milestone is settled
    in its own transaction: one that fails is logged and the others still complete.
    """
    project = experiment_import.project
    candidates = list(
        Milestone.objects.open()
        .filter(goal__owner_id=project.owner_id, target_project=project)
        .exclude(target_metric="")
        .values_list("pk", flat=True)
    )
    done = []
    runs = Run.objects.filter(experiment_import=experiment_import)
    best_cache: dict[tuple[str, str], targets.RunValue | None] = {}
    for pk in candidates:
        try:
            with transaction.atomic():
                milestone = (
                    Milestone.objects.select_for_update(of=("self",))
                    .select_related("goal__owner", "target_project")
                    .get(pk=pk)
                )
                if not milestone.is_open or milestone.target_project_id != project.pk:
                    continue
                key = (milestone.target_metric, milestone.target_comparison)
                if key not in best_cache:
                    best_cache[key] = _best_for(milestone, runs=runs)
                if _meets(milestone, best_cache[key]):
                    _complete(milestone, best_cache[key])
                    done.append(milestone)
        except Exception:
            log.exception("Milestone %s: could not check its target against import %s",
                          pk, experiment_import.pk)  # fmt: skip
    return done


def _last_manual_progress(milestone: Milestone) -> int:
    last = (
        milestone.checkins.filter(automatic=False)
        .order_by("-created_at", "-id")
        .values_list("progress", flat=True)
    )
    return next(iter(last[:1]), 0)


def milestones_release_import(*, experiment_import: ExperimentImport) -> None:
    """Before an import is deleted: move evidence off its runs, or reopen the milestone.

    A done milestone whose evidence run goes with the import switches to the best remaining
    run when one still meets its target; otherwise it reopens (in progress). Either way an
    automatic check-in says why.
    """
    pks = list(
        Milestone.objects.filter(evidence_run__experiment_import=experiment_import).values_list(
            "pk", flat=True
        )
    )
    name = experiment_import.original_name
    for pk in pks:
        try:
            with transaction.atomic():
                milestone = (
                    Milestone.objects.select_for_update(of=("self",))
                    .select_related("goal__owner", "target_project", "evidence_run")
                    .get(pk=pk)
                )
                _release(milestone, experiment_import, name)
        except Exception:
            log.exception("Milestone %s: could not release deleted import %s",
                          pk, experiment_import.pk)  # fmt: skip


def _release(milestone: Milestone, experiment_import: ExperimentImport, name: str) -> None:
    old = milestone.evidence_run
    old_url = old.get_absolute_url() if old is not None else None
    automatic_link = milestone.evidence_url == old_url
    usable = (
        milestone.status == MilestoneStatus.DONE
        and milestone.has_target
        and milestone.target_project_id is not None
    )
    best = _best_for(milestone, exclude_import_id=experiment_import.pk) if usable else None
    if not usable:
        # Done by hand or reopened since: only the link to the vanishing run goes.
        milestone.evidence_run = None
        if automatic_link:
            milestone.evidence_url = ""
        milestone.save(update_fields=["evidence_run", "evidence_url", "updated_at"])
        return
    if _meets(milestone, best):
        milestone.evidence_run_id = best.id
        if automatic_link or not milestone.evidence_url:
            milestone.evidence_url = best.url
        milestone.save(update_fields=["evidence_run", "evidence_url", "updated_at"])
        _automatic_checkin(
            milestone,
            progress=100,
            note=(
                f"Evidence import {name} was deleted; run {best.name} still reaches "
                f"{milestone.target_metric} {_number(best.value)} (target {_target(milestone)}), "
                f"so it is the evidence now (from import {best.import_name})."
            ),
        )
        return
    milestone.status = MilestoneStatus.IN_PROGRESS
    milestone.done_at = None
    milestone.evidence_run = None
    if automatic_link:
        milestone.evidence_url = ""
    milestone.save(
        update_fields=["status", "done_at", "evidence_run", "evidence_url", "updated_at"]
    )
    so_far = (
        f" Best remaining: run {best.name} at {_number(best.value)}."
        if best is not None
        else " No remaining run has this metric."
    )
    _automatic_checkin(
        milestone,
        progress=_last_manual_progress(milestone),
        note=(
            f"Reopened automatically: evidence import {name} (run {old.name}) was deleted, "
            f"and no remaining run reaches {target_text(milestone)}.{so_far}"
        ),
    )
