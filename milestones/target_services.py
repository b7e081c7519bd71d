"""Writes that follow a milestone's metric target: completing it when a run meets it (when set,
and when an import brings such a run), and moving its evidence off, or reopening it, when the
import of its evidence run is deleted or the run itself is (MLflow's soft delete; a restore
completes it again). Called by milestones.services and milestones.receivers."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from projects import targets
from projects.models import ExperimentImport, Run

from .models import CheckIn, Milestone, MilestoneStatus
from .signals import milestone_completed

log = logging.getLogger(__name__)


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
    runs = Run.objects.current().filter(experiment_import=experiment_import)
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


def _locked_with_evidence(pk: int) -> Milestone:
    return (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("goal__owner", "target_project", "evidence_run")
        .get(pk=pk)
    )


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
                milestone = _locked_with_evidence(pk)
                old = milestone.evidence_run
                _release(
                    milestone,
                    gone=f"evidence import {name}",
                    run_gone=f"evidence import {name} (run {old.name})",
                    exclude_import_id=experiment_import.pk,
                )
        except Exception:
            log.exception("Milestone %s: could not release deleted import %s",
                          pk, experiment_import.pk)  # fmt: skip


def milestones_follow_deleted_runs(*, experiment_import: ExperimentImport) -> None:
    """After runs of an import were deleted or restored by their tracker (MLflow's runs/delete
    and runs/restore, Run.deleted_at): a milestone done automatically by a run that is now
    deleted moves its evidence to the best current run that still meets its target, or reopens
    (a milestone ticked by hand has no evidence run and stays done); then an open milestone
    that a restored run meets is done again, as when the run was first imported."""
    pks = list(
        Milestone.objects.filter(
            evidence_run__experiment_import=experiment_import,
            evidence_run__deleted_at__isnull=False,
        ).values_list("pk", flat=True)
    )
    for pk in pks:
        try:
            with transaction.atomic():
                milestone = _locked_with_evidence(pk)
                old = milestone.evidence_run
                if old is None or old.deleted_at is None:
                    continue  # moved or restored since
                gone = f"evidence run {old.name}"
                _release(milestone, gone=gone, run_gone=gone, exclude_import_id=None)
        except Exception:
            log.exception("Milestone %s: could not follow the deleted runs of import %s",
                          pk, experiment_import.pk)  # fmt: skip
    milestones_complete_from_import(experiment_import=experiment_import)


def _release(
    milestone: Milestone, *, gone: str, run_gone: str, exclude_import_id: int | None
) -> None:
    """The evidence run of milestone is going (gone: what went, as a note names it; run_gone:
    the same naming the run): keep it done on the best other run, or reopen it."""
    old = milestone.evidence_run
    old_url = old.get_absolute_url() if old is not None else None
    automatic_link = milestone.evidence_url == old_url
    usable = (
        milestone.status == MilestoneStatus.DONE
        and milestone.has_target
        and milestone.target_project_id is not None
    )
    best = _best_for(milestone, exclude_import_id=exclude_import_id) if usable else None
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
                f"{gone[0].upper()}{gone[1:]} was deleted; run {best.name} still reaches "
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
            f"Reopened automatically: {run_gone} was deleted, "
            f"and no remaining run reaches {target_text(milestone)}.{so_far}"
        ),
    )
