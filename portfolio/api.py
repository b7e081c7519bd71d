"""The HTTP API (v1): upload experiment results and follow their import, with a token.

Authentication is a personal access token in `Authorization: Bearer <token>`; there are no
cookies, so no CSRF. Every project lookup is scoped to the token's user: another user's project
answers 404 exactly like a missing one.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from projects import import_choices, imports
from projects.models import ExperimentImport, Project
from projects.uploads import upload_refusal, uploads_with_paths

from .tokens import token_authenticate


def _error(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def token_required(view):
    """Authenticate the request by its bearer token, or answer 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        token = token_authenticate(raw=raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return _error(
                401,
                "A valid API token is needed: Authorization: Bearer <token>.",
                WWW_Authenticate='Bearer realm="cairn"',
            )
        request.user = token.user
        request.api_token = token
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _project(request: HttpRequest, slug: str) -> Project | None:
    return Project.objects.owned_by(request.user).filter(slug=slug).first()


def import_json(request: HttpRequest, imp: ExperimentImport) -> dict:
    """The public shape of an import, as the OpenAPI schema describes it."""
    return {
        "id": imp.pk,
        "project": imp.project.slug,
        "status": imp.status,
        "progress": round(imp.percent / 100, 3),
        "message": imp.message,
        "file_name": imp.original_name,
        "sha256": imp.sha256,
        "size": imp.size,
        "format": imp.detected_format or None,
        "importer_version": imp.importer_version or None,
        "runs": imp.runs_count,
        "series": imp.series_count,
        "points": imp.points_count,
        "report": imp.report or None,
        "choices": imp.choices or {},
        "created_at": imp.created_at.isoformat(),
        "finished_at": imp.finished_at.isoformat() if imp.finished_at else None,
        "status_url": request.build_absolute_uri(
            reverse("api:import", args=[imp.project.slug, imp.pk])
        ),
        "page_url": request.build_absolute_uri(imp.get_absolute_url()),
    }


@require_POST
@token_required
def import_create(request: HttpRequest, slug: str) -> JsonResponse:
    project = _project(request, slug)
    if project is None:
        return _error(404, f"No project “{slug}” of yours.")
    files = request.FILES.getlist("file") or request.FILES.getlist("files")
    if refusal := upload_refusal(request):
        return _error(413, refusal)
    if not files:
        return _error(400, "Send the result file as multipart form data in the field “file”.")
    try:
        choices = import_choices.from_api(request.POST.get("choices"))
    except import_choices.ChoicesInvalid as exc:
        return _error(400, exc.message)
    try:
        imp, created = imports.import_create(
            project=project,
            user=request.user,
            uploads=uploads_with_paths(files, request.POST.getlist("paths")),
            requested_format=request.POST.get("format", ""),
            run_name=request.POST.get("run_name", ""),
            metric_name=request.POST.get("metric_name", ""),
            choices=choices.as_dict() if choices else None,
        )
    except imports.UploadRefused as exc:
        return _error(413 if exc.too_large else 400, str(exc))
    body = {**import_json(request, imp), "duplicate": not created}
    response = JsonResponse(body, status=202 if created else 200)
    response["Location"] = body["status_url"]
    return response


@require_GET
@token_required
def import_status(request: HttpRequest, slug: str, import_id: int) -> JsonResponse:
    project = _project(request, slug)
    imp = project and ExperimentImport.objects.filter(project=project, pk=import_id).first()
    if not imp:
        return _error(404, "No such import.")
    return JsonResponse(import_json(request, imp))


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    from .openapi import schema

    return JsonResponse(schema(server=request.build_absolute_uri("/api/v1")))
