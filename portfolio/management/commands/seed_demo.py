from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portfolio.demo.seed import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    MENTOR_PASSWORD,
    MENTOR_USERNAME,
    seed_demo,
)


class Command(BaseCommand):
    help = "Create the demo engineer (demo/demo) with a public profile and a year of plan."

    def handle(self, *args, **options) -> None:
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError("seed_demo refuses to run with production settings.")
        report = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {report.goals} goals, {report.milestones} milestones, "
                f"{report.checkins} check-ins, {report.projects} projects and "
                f"{report.imports} imports added. "
                f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}, or as their mentor "
                f"{MENTOR_USERNAME} / {MENTOR_PASSWORD}."
            )
        )
