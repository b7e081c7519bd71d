from __future__ import annotations

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """Live logging from training code: an MLflow-compatible tracking endpoint."""

    name = "tracking"
    verbose_name = "Live tracking (MLflow API)"
