from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portfolio.demo.seed import demo_logins, seed_demo


class Command(BaseCommand):
    help = "Create the demo engineer (demo/demo): a year of plan, projects with results, a mentor."

    def handle(self, *args, **options) -> None:
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError("seed_demo refuses to run with production settings.")
        report = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {report.goals} goals, {report.milestones} milestones, "
                f"{report.checkins} check-ins, {report.projects} projects and "
                f"{report.imports} imports added. {demo_logins()}"
            )
        )
