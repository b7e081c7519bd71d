from __future__ import annotations

from django.apps import AppConfig


class MlsyncConfig(AppConfig):
    """Sync from MLflow: scheduled pulls from an MLflow tracking server or store."""

    name = "mlsync"
    verbose_name = "Sync from MLflow"
