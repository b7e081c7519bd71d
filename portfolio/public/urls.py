from django.urls import path

from . import artifact_views, export_views, seo_views
from . import views as public_site

app_name = "public"

# robots.txt and sitemap.xml are at the site root, outside this namespace (portfolio/urls.py).

urlpatterns = [
    path("u/<slug:slug>/", public_site.profile, name="profile"),
    path("u/<slug:slug>/resume.json", export_views.resume_json, name="resume-json"),
    path("u/<slug:slug>/portfolio.md", export_views.markdown_export, name="markdown"),
    path("u/<slug:slug>/preview.png", seo_views.preview_image, name="preview"),
    path("u/<slug:slug>/<slug:project_slug>/", public_site.project, name="project"),
    path(
        "u/<slug:slug>/<slug:project_slug>/preview.png",
        seo_views.preview_image,
        name="project-preview",
    ),
    path(
        "u/<slug:slug>/<slug:project_slug>/chart/",
        public_site.chart_fragment,
        name="chart",
    ),
    path(
        "u/<slug:slug>/<slug:project_slug>/chart/live/",
        public_site.chart_live,
        name="chart-live",
    ),
    path(
        "u/<slug:slug>/<slug:project_slug>/chart/keys/",
        public_site.chart_keys,
        name="chart-keys",
    ),
    path(
        "u/<slug:slug>/<slug:project_slug>/chart/data/",
        public_site.chart_data,
        name="chart-data",
    ),
    path(
        "u/<slug:slug>/<slug:project_slug>/artifacts/<int:artifact_id>/",
        artifact_views.artifact_detail,
        name="artifact",
    ),
    path(
        "u/<slug:slug>/<slug:project_slug>/artifacts/<int:artifact_id>/<path:name>",
        artifact_views.artifact_file,
        name="artifact-file",
    ),
]
