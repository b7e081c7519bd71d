from django.urls import path

from . import views as api

app_name = "api"

urlpatterns = [
    path("openapi.json", api.openapi, name="openapi"),
    path("projects/<slug:slug>/imports", api.import_create, name="imports"),
    path("projects/<slug:slug>/imports/<int:import_id>", api.import_status, name="import"),
    path(
        "projects/<slug:slug>/imports/<int:import_id>/retry",
        api.import_retry,
        name="import-retry",
    ),
]
