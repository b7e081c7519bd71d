"""Tell mentors about their mentees' work: new check-ins, revisions and completed milestones
become items in each current mentor's inbox, when the item is shared with mentors."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from milestones.models import CheckIn, Milestone
from milestones.signals import milestone_completed
from projects.access import shared_with_mentors
from projects.models import ProjectRevision
from projects.signals import run_finished

from .mentoring.notifications import notify
from .models import Mentorship, Notification

log = logging.getLogger(__name__)


def _tell_mentors(*, engineer, visibility: str, kind: str, **target) -> None:
    if not shared_with_mentors(visibility):
        return
    try:
        # A savepoint: a failure here is logged and never undoes the engineer's own save.
        with transaction.atomic():
            mentors = [
                m.mentor
                for m in Mentorship.objects.active()
                .filter(engineer=engineer)
                .select_related("mentor")
            ]
            if mentors:
                notify(recipients=mentors, actor=engineer, engineer=engineer, kind=kind, **target)
    except Exception:
        log.exception("Could not tell the mentors of user %s about a %s", engineer.pk, kind)


@receiver(post_save, sender=CheckIn, dispatch_uid="portfolio.checkin_to_mentors")
def checkin_to_mentors(sender, instance: CheckIn, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        goal = instance.milestone.goal
        _tell_mentors(
            engineer=goal.owner,
            visibility=goal.visibility,
            kind=Notification.Kind.CHECKIN,
            checkin=instance,
        )


@receiver(post_save, sender=ProjectRevision, dispatch_uid="portfolio.revision_to_mentors")
def revision_to_mentors(
    sender, instance: ProjectRevision, created: bool, raw: bool = False, **kwargs
):
    if created and not raw:
        project = instance.project
        _tell_mentors(
            engineer=project.owner,
            visibility=project.visibility,
            kind=Notification.Kind.REVISION,
            revision=instance,
        )


@receiver(milestone_completed, dispatch_uid="portfolio.milestone_to_mentors")
def milestone_to_mentors(sender, milestone: Milestone, **kwargs):
    goal = milestone.goal
    _tell_mentors(
        engineer=goal.owner,
        visibility=goal.visibility,
        kind=Notification.Kind.MILESTONE,
        milestone=milestone,
    )


@receiver(run_finished, dispatch_uid="portfolio.run_to_mentors")
def run_to_mentors(sender, experiment_import, **kwargs) -> None:
    """A run logged live finished (projects.signals.run_finished): a mentor inbox item."""
    project = experiment_import.project
    for run in experiment_import.runs.current():
        _tell_mentors(
            engineer=project.owner,
            visibility=project.visibility,
            kind=Notification.Kind.RUN,
            run=run,
        )


# --- Public pages: any change to what they may show makes the owner's cached pages stale. ---


def _owner_of(instance) -> int | None:
    from milestones.models import QuarterlyGoal
    from projects.models import ExperimentImport, Project, RunArtifact

    from .models import Profile

    try:
        if isinstance(instance, Profile):
            return instance.user_id
        if isinstance(instance, QuarterlyGoal | Project):
            return instance.owner_id
        if isinstance(instance, Milestone):
            return instance.goal.owner_id
        if isinstance(instance, CheckIn):
            return instance.author_id  # check-ins are written by the goal's owner only
        if isinstance(instance, ProjectRevision | ExperimentImport):
            return instance.project.owner_id
        if isinstance(instance, RunArtifact):
            return instance.run.project.owner_id
    except ObjectDoesNotExist:
        return None
    return None


def _public_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    owner_id = _owner_of(instance)
    if owner_id is not None:
        from .public.cache import invalidate

        invalidate(owner_id)


def _connect_public_cache() -> None:
    from django.db.models.signals import post_delete

    from milestones.models import QuarterlyGoal
    from projects.models import ExperimentImport, Project, RunArtifact
    from projects.signals import import_runs_replacing, import_succeeded, runs_deleted_or_restored

    from .models import Profile

    # Runs and series are written in bulk by an import (no per-row signals): the import's
    # success and its deletion stand for them. A receiver on Run would also stop Django from
    # deleting an import's runs in one query.
    # An artifact is stored one at a time (the public project page lists them).
    models = (Profile, QuarterlyGoal, Milestone, CheckIn, Project, ProjectRevision, RunArtifact)
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                _public_changed, sender=model, dispatch_uid=f"public-cache-{model.__name__}"
            )
    post_delete.connect(_public_changed, sender=ExperimentImport, dispatch_uid="public-cache-imp")
    import_succeeded.connect(_import_changed, dispatch_uid="public-cache-import-succeeded")
    import_runs_replacing.connect(_import_changed, dispatch_uid="public-cache-runs-replacing")
    runs_deleted_or_restored.connect(_import_changed, dispatch_uid="public-cache-runs-deleted")


def _import_changed(sender, experiment_import, **kwargs) -> None:
    _public_changed(sender, experiment_import)


_connect_public_cache()
