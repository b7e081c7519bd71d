"""The HTTP API (v1): upload experiment results and follow their import, with a token.

Authentication is a personal access token in `Authorization: Bearer <token>`; there are no
cookies, so no CSRF. Every project lookup is scoped to the token's user: another user's project
answers 404 exactly like a missing one. Every answer under /api/ is JSON, errors too
(JsonErrorsMiddleware).
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from projects import import_choices, importers, imports, uploads
from projects.models import ExperimentImport, ImportStatus, Project

from ..security import limits
from .tokens import token_authenticate

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
NO_FILE = (
    "Send the result file as multipart form data in the field “file”, or as the body itself "
    "with ?name=metrics.csv."
)
_REASONS = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request is larger than the limit.",
    500: "Cairn hit an internal error and could not answer; try again.",
}


class JsonErrorsMiddleware:
    """Every error answer under /api/ is JSON ({"error": ...}), whatever part of Django made it.

    Views of the API answer JSON themselves; this catches the rest: an unknown URL (404), a
    wrong method (405), a body too large (400/413), a CSRF refusal (403), a crash (500).
    Put first in MIDDLEWARE so that it sees every answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        message = _REASONS.get(status, response.reason_phrase or "Error.")
        if status == 405 and response.get("Allow"):
            message = f"Method not allowed; use {response['Allow']}."
        if status == 404:
            message = f"Not found: {request.path}"
        if status == 403 and getattr(response, "reason_phrase", "") == "Forbidden":
            message = "Forbidden (the API takes a bearer token, not a browser session)."
        json_response = _error(status, message)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if response.get(header):
                json_response[header] = response[header]
        return json_response


def _error(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def token_required(view):
    """Authenticate the request by its bearer token, or answer 401; past the token's rate limit
    (limits.api_requests), answer 429 with Retry-After."""

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
        limit = limits.api_requests()
        verdict = limits.limit_hit(limit, f"token:{token.pk}")
        if not verdict.allowed:
            return _error(
                429,
                f"Too many requests with this token (at most {limit.describe()}). "
                f"Try again in {verdict.wait}.",
                Retry_After=str(verdict.retry_after),
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


def _choices(fields) -> dict | None:
    """How to read the files, from the form: `choices` (JSON) and/or its parts.

    `roles` is a JSON object column -> role; `date_order`, `delimiter` and `confirmed` are plain
    fields. None when the request says nothing; ValueError with a reason when it is malformed.
    """
    data: dict = {}
    raw = fields.get("choices", "").strip()
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            raise ValueError("“choices” is not valid JSON.") from None
        if not isinstance(data, dict):
            raise ValueError("“choices” is a JSON object: roles, date_order, delimiter.")
    if roles := fields.get("roles", "").strip():
        try:
            data["roles"] = json.loads(roles)
        except ValueError:
            raise ValueError("“roles” is not valid JSON (an object: column → role).") from None
    for key in ("date_order", "delimiter"):
        if key in fields:
            data[key] = fields[key]
    if "confirmed" in fields:
        data["confirmed"] = fields["confirmed"].lower() in ("1", "true", "yes", "on")
    if not data:
        return None
    try:  # the one rule for choices from the form, the command line and the API
        return import_choices.from_api(data).as_dict()
    except import_choices.ChoicesInvalid as exc:
        raise ValueError(exc.message) from None


def _names(request: HttpRequest) -> dict:
    """Names and format the request gives (absent fields are left out)."""
    fields = {"run_name": "run_name", "metric_name": "metric_name", "format": "requested_format"}
    return {arg: request.POST[key] for key, arg in fields.items() if key in request.POST}


@require_POST
@token_required
def import_create(request: HttpRequest, slug: str) -> JsonResponse:
    project = _project(request, slug)
    if project is None:
        return _error(404, f"No project “{slug}” of yours.")
    if uploads.is_raw_upload(request):
        # The body is the file (`--data-binary @metrics.csv`); the fields are in the query.
        fields, name = request.GET, uploads.raw_upload_name(request)
        if not name:
            return _error(400, uploads.RAW_NAME_MISSING)
        received = uploads.receive_raw_upload(request, name)
        files, paths = ([received] if received else []), [name]
    else:
        fields = request.POST
        files = request.FILES.getlist("file") or request.FILES.getlist("files")
        paths = fields.getlist("paths")
    if refusal := uploads.upload_refusal(request):
        return _error(uploads.refusal_status(request), refusal)
    if not files:
        return _error(400, NO_FILE)
    try:
        choices = _choices(fields)
    except ValueError as exc:
        return _error(400, str(exc))
    try:
        imp, created = imports.import_create(
            project=project,
            user=request.user,
            uploads=uploads.uploads_with_paths(files, paths),
            requested_format=fields.get("format", ""),
            run_name=fields.get("run_name", ""),
            metric_name=fields.get("metric_name", ""),
            choices=choices,
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


def _retry_refusal(imp: ExperimentImport, *, changes: bool) -> str:
    """Why this import cannot be run again (with changes), or "" when it can."""
    stranded = imports.stalled_imports().filter(pk=imp.pk).exists()
    if imp.status not in (ImportStatus.FAILED, ImportStatus.REVIEW) and not stranded:
        return (
            f"This import is {imp.get_status_display().lower()}; only a failed, held or "
            "stalled import can be run again."
        )
    if stranded and changes:
        return (
            "This import is waiting for a worker; it is sent again as it is. Retry it "
            "with other choices once it has failed or is held for review."
        )
    return ""


@require_POST
@token_required
def import_retry(request: HttpRequest, slug: str, import_id: int) -> JsonResponse:
    """Run a failed, held or stranded import again, with new names and choices when given."""
    project = _project(request, slug)
    imp = project and ExperimentImport.objects.filter(project=project, pk=import_id).first()
    if not imp:
        return _error(404, "No such import.")
    try:
        choices = _choices(request.POST)
    except ValueError as exc:
        return _error(400, str(exc))
    names = _names(request)
    refusal = _retry_refusal(imp, changes=choices is not None or bool(names))
    if refusal:
        return _error(409, refusal)
    try:
        imp = imports.import_retry(experiment_import=imp, choices=choices, **names)
    except importers.ImportFailed as exc:
        return _error(400, str(exc.message))
    body = import_json(request, imp)
    response = JsonResponse(body, status=202)
    response["Location"] = body["status_url"]
    return response


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    from .openapi import schema

    return JsonResponse(schema(server=request.build_absolute_uri("/api/v1")))
