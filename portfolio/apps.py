from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "People and portfolio"

    def ready(self) -> None:
        from projects.access import register_mentees_source

        from . import receivers  # noqa: F401 - connects the mentors' inbox to the plan
        from .celery import ensure_broker_folders
        from .models import Mentorship

        ensure_broker_folders()
        register_mentees_source(Mentorship.objects.mentee_ids)
