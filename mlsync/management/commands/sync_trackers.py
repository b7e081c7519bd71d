"""Sync projects from their MLflow servers and stores now, in this process, and print reports."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mlsync.models import TrackerConnection
from mlsync.sync import AlreadyRunning, sync_connection_run
from projects.models import Project
from projects.selectors import project_by_path
from projects.wording import plural


class Command(BaseCommand):
    help = (
        "Sync every enabled MLflow connection now (or those of one project, owner/slug), "
        "whether due or not, and print what each sync added. Exit status 1 when one failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", default="", help="owner/slug, e.g. demo/fraud-model")

    def handle(self, *args, **options) -> None:
        connections = TrackerConnection.objects.select_related("project__owner").order_by("pk")
        if options["project"]:
            connections = connections.filter(project=self._project(options["project"]))
        else:
            connections = connections.filter(enabled=True)
        if not connections:
            self.stdout.write("No MLflow connection to sync.")
            return
        failed = 0
        for connection in connections:
            name = f"{connection.project.owner.username}/{connection.project.slug}"
            try:
                result = sync_connection_run(connection_id=connection.pk, trigger="command")
            except AlreadyRunning as exc:
                self.stdout.write(f"{name} from {connection.label}: {exc}")
                continue
            if result.state == "failed":
                failed += 1
                self.stdout.write(f"{name} from {connection.label}: failed. {result.reason}")
                continue
            self.stdout.write(
                f"{name} from {connection.label}: "
                f"{plural(result.runs_added, 'run')} added, {result.runs_updated} updated, "
                f"{result.runs_deleted} marked deleted, {result.runs_unchanged} unchanged; "
                f"{plural(result.points_added, 'point')} added."
            )
            for error in result.errors:
                self.stdout.write(f"  run {error['run']}: {error['message']}")
        if failed:
            raise CommandError(f"{plural(failed, 'sync')} failed.")

    def _project(self, spec: str) -> Project:
        if "/" not in spec:
            raise CommandError("--project must be owner/slug")
        project = project_by_path(spec)
        if project is None:
            raise CommandError(f"No project {spec}")
        return project
