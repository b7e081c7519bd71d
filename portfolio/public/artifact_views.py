"""Artifacts of a public project's runs on the public site: a page that shows one (the image, or
the text escaped) and its bytes. The project is found as its public page finds it (the profile
public, the project public or unlisted), and the artifact among its current runs; anything
else is a 404, to everyone, as the public pages are."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from projects import artifacts

from . import reads as public_reads
from .views import visitor_project


def _artifact(request: HttpRequest, slug: str, project_slug: str, artifact_id: int):
    profile, preview, project = visitor_project(request, slug, project_slug)
    artifact = public_reads.artifact_for_visitor(project=project, artifact_id=artifact_id)
    if artifact is None:
        raise Http404
    return profile, preview, project, artifact


@require_GET
def artifact_detail(
    request: HttpRequest, slug: str, project_slug: str, artifact_id: int
) -> HttpResponse:
    """One artifact of a public run on a page of the public site."""
    profile, preview, project, artifact = _artifact(request, slug, project_slug, artifact_id)
    file_url = reverse(
        "public:artifact-file", args=[profile.slug, project.slug, artifact.pk, artifact.name]
    )
    context = {
        "profile": profile,
        "preview": preview,
        "project": project,
        "artifact": artifact,
        "run_name": artifact.run.name,
        "file_url": file_url,
        "preview_text": artifacts.text_preview(artifact),
    }
    return render(request, "portfolio/site/artifact.html", context)


@require_GET
def artifact_file(
    request: HttpRequest, slug: str, project_slug: str, artifact_id: int, name: str
) -> HttpResponse:
    """The artifact's bytes, served as the owner's pages serve them (projects/artifacts.py)."""
    _, _, _, artifact = _artifact(request, slug, project_slug, artifact_id)
    return artifacts.file_response(artifact, download=request.GET.get("download") == "1")
