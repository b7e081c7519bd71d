"""The MLflow REST API under /mlflow/: /api/2.0/mlflow/... and the UI's /ajax-api/2.0/mlflow/...

One view takes every path and finds the handler in tracking.views.ENDPOINTS, so that an
unsupported or unknown call still answers in MLflow's error format.
"""

from __future__ import annotations

from django.urls import path, re_path

from . import artifacts, views

app_name = "tracking"

urlpatterns = [
    re_path(r"^(?:ajax-)?api/2\.0/mlflow/(?P<endpoint>.+)$", views.endpoint, name="endpoint"),
    re_path(
        r"^api/2\.0/mlflow-artifacts/artifacts(?:/(?P<path>.*))?$",
        artifacts.artifact_endpoint,
        name="artifacts",
    ),
    path("<path:rest>", views.not_found, name="not-found"),
    path("", views.not_found, {"rest": ""}, name="root"),
]
