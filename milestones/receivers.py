"""Milestones listen to imports: projects announces them and never imports milestones."""

from __future__ import annotations

from django.dispatch import receiver

from projects.signals import import_deleting, import_succeeded, runs_deleted_or_restored

from . import target_services


@receiver(import_succeeded, dispatch_uid="milestones.complete_from_import")
def complete_from_import(sender, experiment_import, **kwargs) -> None:
    target_services.milestones_complete_from_import(experiment_import=experiment_import)


@receiver(import_deleting, dispatch_uid="milestones.release_import")
def release_import(sender, experiment_import, **kwargs) -> None:
    target_services.milestones_release_import(experiment_import=experiment_import)


@receiver(runs_deleted_or_restored, dispatch_uid="milestones.follow_deleted_runs")
def follow_deleted_runs(sender, experiment_import, **kwargs) -> None:
    target_services.milestones_follow_deleted_runs(experiment_import=experiment_import)
