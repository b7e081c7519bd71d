from __future__ import annotations

from django.apps import AppConfig


class MlsyncConfig(AppConfig):
    """Sync from MLflow: scheduled pulls from an MLflow tracking server or store."""

    name = "mlsync"
    verbose_name = "Sync from MLflow"

    def ready(self) -> None:
        from django.urls import reverse

        from projects import people

        # The project page links here without the core naming this app (projects/people.py).
        people.register_link(
            people.PROJECT_SYNC,
            lambda owner, project: reverse("mlsync:connections", args=[project.slug]),
        )
