"""The MLflow tracking endpoints (see tracking.urls)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .errors import MlflowError, error_response

ENDPOINTS: dict[tuple[str, str], object] = {}


@csrf_exempt
def endpoint(request: HttpRequest, endpoint: str) -> JsonResponse:
    handler = ENDPOINTS.get((request.method, endpoint.rstrip("/")))
    if handler is None:
        return error_response(MlflowError.unsupported(request.method, endpoint))
    return handler(request)


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return error_response(MlflowError.unsupported(request.method, rest))
