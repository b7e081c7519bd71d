from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "People and portfolio"

    def ready(self) -> None:
        from .celery import ensure_broker_folders

        ensure_broker_folders()
