"""Sync from MLflow, under a project: /projects/<slug>/sync/…"""

from django.urls import path

from . import views

app_name = "mlsync"

urlpatterns = [
    path("", views.connections, name="connections"),
    path("<int:connection_id>/", views.connection_detail, name="connection"),
    path("<int:connection_id>/edit/", views.connection_edit, name="connection-edit"),
    path("<int:connection_id>/delete/", views.connection_delete, name="connection-delete"),
    path("<int:connection_id>/sync-now/", views.sync_now, name="sync-now"),
    path("reports/<int:sync_id>/", views.sync_report, name="report"),
]
