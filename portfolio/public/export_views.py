"""The public portfolio as JSON Resume and as Markdown, downloadable from the profile page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from ..models import Profile
from .exports import json_resume, markdown
from .reads import profile_for_visitor


def _profile(request: HttpRequest, slug: str) -> Profile:
    """The same rule as the profile page: public, or the owner's preview; else 404."""
    found = profile_for_visitor(slug=slug, viewer=request.user)
    if found is None:
        raise Http404
    return found[0]


@require_GET
def resume_json(request: HttpRequest, slug: str) -> JsonResponse:
    profile = _profile(request, slug)
    data = json_resume(profile=profile, absolute=request.build_absolute_uri)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="{profile.slug}-resume.json"'
    return response


@require_GET
def markdown_export(request: HttpRequest, slug: str) -> HttpResponse:
    profile = _profile(request, slug)
    body = markdown(profile=profile, absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{profile.slug}-portfolio.md"'
    return response
