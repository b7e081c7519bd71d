from __future__ import annotations

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """Live logging from training code: an MLflow-compatible tracking endpoint."""

    name = "tracking"
    verbose_name = "Live tracking (MLflow API)"

    def ready(self) -> None:
        from projects.live import register_live_source
        from projects.uploads import register_refusal_answer

        from .errors import too_large
        from .live import live_run_states

        register_live_source(live_run_states)
        register_refusal_answer("/mlflow/", too_large)
