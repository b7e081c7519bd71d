from django.urls import path

from . import results_views, views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("preview/", views.markdown_preview, name="preview"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/edit/", views.project_edit, name="edit"),
    path("<slug:slug>/history/", views.revision_history, name="history"),
    path("<slug:slug>/diff/", views.revision_diff, name="diff"),
    path("<slug:slug>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path(
        "<slug:slug>/revisions/<int:number>/restore/",
        views.revision_restore,
        name="restore",
    ),
    path("<slug:slug>/delete/", views.project_delete, name="delete"),
    path("<slug:slug>/imports/", results_views.import_upload, name="import-upload"),
    path("<slug:slug>/imports/<int:import_id>/", results_views.import_detail, name="import"),
    path(
        "<slug:slug>/imports/<int:import_id>/retry/",
        results_views.import_retry,
        name="import-retry",
    ),
    path(
        "<slug:slug>/imports/<int:import_id>/delete/",
        results_views.import_delete,
        name="import-delete",
    ),
    path("<slug:slug>/runs/", results_views.run_list, name="runs"),
    path("<slug:slug>/runs/<int:run_id>/", results_views.run_detail, name="run"),
    path("<slug:slug>/export.md", views.export_markdown, name="export-md"),
    path("<slug:slug>/export.json", views.export_json, name="export-json"),
]
