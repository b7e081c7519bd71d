from django.urls import path, register_converter

from . import artifact_views, chart_views, compare_views, results_views, views


class ReaderKey:
    """A project named for a reader other than its owner: "<id>~<slug>" (selectors.reader_key).
    The "~" keeps it apart from a slug, so reverse() picks the reader's route by its argument."""

    regex = r"[0-9]+~[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReaderKey, "reader")

app_name = "projects"

# The result pages a current mentor reads too (read-only), routed twice under one name: by
# slug for the owner, by reader key for anyone else; the view looks the project up through the
# visibility rule (selectors.project_for_reader). Writes (imports, directions, edits) stay
# owner-only routes, so they cannot be reversed for a reader at all.
READ = [
    ("", views.shared_project, "detail"),
    ("imports/<int:import_id>/", results_views.import_detail, "import"),
    ("runs/", results_views.run_list, "runs"),
    ("runs/<int:run_id>/", results_views.run_detail, "run"),
    ("results/", chart_views.results, "results"),
    ("results/chart/", chart_views.chart_fragment, "chart"),
    ("results/chart/data/", chart_views.chart_data, "chart-data"),
    ("results/chart/live/", chart_views.chart_live, "chart-live"),
    ("results/chart/keys/", chart_views.chart_keys, "chart-keys"),
    ("compare/", compare_views.runs_compare, "compare"),
    ("stats/", compare_views.runs_stats, "stats"),
    ("export.md", views.export_markdown, "export-md"),
    ("export.json", views.export_json, "export-json"),
]

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("preview/", views.markdown_preview, name="preview"),
    # By id for every role: the project's visibility rule decides (artifact_views).
    path("artifacts/<int:artifact_id>/", artifact_views.artifact_detail, name="artifact"),
    path(
        "artifacts/<int:artifact_id>/<path:name>",
        artifact_views.artifact_file,
        name="artifact-file",
    ),
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
    path("<slug:slug>/imports/progress/", results_views.import_progress, name="import-progress"),
    path("<slug:slug>/imports/<int:import_id>/", results_views.import_detail, name="import"),
    path(
        "<slug:slug>/imports/<int:import_id>/preview/",
        results_views.import_preview,
        name="import-preview",
    ),
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
    path("<slug:slug>/results/", chart_views.results, name="results"),
    path("<slug:slug>/results/chart/", chart_views.chart_fragment, name="chart"),
    path("<slug:slug>/results/chart/data/", chart_views.chart_data, name="chart-data"),
    path("<slug:slug>/results/chart/live/", chart_views.chart_live, name="chart-live"),
    path("<slug:slug>/results/chart/keys/", chart_views.chart_keys, name="chart-keys"),
    path("<slug:slug>/compare/", compare_views.runs_compare, name="compare"),
    path("<slug:slug>/stats/", compare_views.runs_stats, name="stats"),
    path(
        "<slug:slug>/stats/direction/",
        compare_views.metric_direction_set,
        name="metric-direction",
    ),
    path("<slug:slug>/export.md", views.export_markdown, name="export-md"),
    path("<slug:slug>/export.json", views.export_json, name="export-json"),
] + [path(f"<reader:slug>/{route}", view, name=name) for route, view, name in READ]
