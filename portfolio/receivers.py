"""Tell mentors about their mentees' work: new check-ins, revisions and completed milestones
become items in each current mentor's inbox, when the item is shared with mentors."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from milestones.models import CheckIn, Milestone
from milestones.signals import milestone_completed
from projects.models import ProjectRevision, Visibility

from .models import Mentorship, Notification
from .notifications import notify

log = logging.getLogger(__name__)


def _tell_mentors(*, engineer, visibility: str, kind: str, **target) -> None:
    if visibility == Visibility.PRIVATE:
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
