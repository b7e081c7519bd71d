"""Artifacts of runs in the browser: a page that shows one (image, or text and JSON escaped) and
its bytes. Both look the artifact up through the project's visibility rule (visible_to), so an
artifact is readable exactly where its project is: owner always, mentors for shared projects,
everyone for public ones, and a 404 otherwise."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import artifacts
from .models import Project, RunArtifact


def _artifact_for(user, artifact_id: int) -> RunArtifact:
    visible = Project.objects.visible_to(user)
    return get_object_or_404(
        RunArtifact.objects.select_related("run__project"),
        pk=artifact_id,
        run__project__in=visible,
    )


@require_GET
def artifact_detail(request: HttpRequest, artifact_id: int) -> HttpResponse:
    """One artifact on a page of the site: the image, or the text escaped."""
    artifact = _artifact_for(request.user, artifact_id)
    project = artifact.run.project
    return render(
        request,
        "projects/artifact_detail.html",
        {
            "artifact": artifact,
            "run": artifact.run,
            "project": project,
            "is_owner": request.user.is_authenticated and project.owner_id == request.user.pk,
            "preview": artifacts.text_preview(artifact),
        },
    )


@require_GET
def artifact_file(request: HttpRequest, artifact_id: int, name: str) -> HttpResponse:
    """The artifact's bytes, served as its kind allows (projects/artifacts.py)."""
    artifact = _artifact_for(request.user, artifact_id)
    return artifacts.file_response(artifact, download=request.GET.get("download") == "1")
