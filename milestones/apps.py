from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "milestones"
    verbose_name = "Learning plan"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the import signals)
