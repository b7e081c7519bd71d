from django.urls import path

from . import views

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
    path("<slug:slug>/export.md", views.export_markdown, name="export-md"),
    path("<slug:slug>/export.json", views.export_json, name="export-json"),
]
