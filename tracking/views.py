"""The MLflow tracking endpoints (see tracking.urls): one view finds the call's handler in
tracking.registry (filled by tracking/handlers/), authenticates the token, and turns MlflowError
(and anything unexpected) into MLflow's error format. A handler reads the request, calls one
service or selector, and returns MLflow's JSON."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import auth, handlers  # noqa: F401 - handlers fill the registry
from .errors import MlflowError, error_response
from .protocol import Body
from .registry import ENDPOINTS

log = logging.getLogger(__name__)

# Families of the MLflow API that Cairn does not serve, with what they are, for the message.
UNSUPPORTED = {
    "registered-models": "the model registry",
    "model-versions": "the model registry",
    "logged-models": "logged models",
    "traces": "traces",
    "datasets": "datasets",
    "scorers": "scorers",
    "gateway": "the AI gateway",
    "prompts": "prompts",
    "webhooks": "webhooks",
    "runs/outputs": "logged models",
    "runs/log-inputs": "dataset inputs",
    "runs/log-model": "logged models",
    "experiments/delete": "deleting experiments (delete the project in Cairn)",
    "experiments/restore": "restoring experiments",
    "experiments/update": "renaming experiments (rename the project in Cairn)",
}


def _unsupported(method: str, path: str) -> MlflowError:
    for prefix, what in UNSUPPORTED.items():
        if path == prefix or path.startswith(prefix + "/"):
            return MlflowError(
                "NOT_IMPLEMENTED",
                f"Cairn's MLflow endpoint does not support {what} ({method} {path}). It takes "
                "experiments, runs, params, metrics, tags and artifacts; see the README, "
                "'Log from your training code'.",
            )
    return MlflowError.unsupported(method, f"api/2.0/mlflow/{path}")


@csrf_exempt
def endpoint(request: HttpRequest, endpoint: str) -> JsonResponse:
    path = endpoint.strip("/")
    handler = ENDPOINTS.get((request.method, path))
    try:
        if handler is None:
            known = any(p == path for _, p in ENDPOINTS)
            if known:
                allowed = sorted(m for m, p in ENDPOINTS if p == path)
                raise MlflowError(
                    "ENDPOINT_NOT_FOUND",
                    f"{request.method} is not served for {path}; use {', '.join(allowed)}.",
                )
            raise _unsupported(request.method, path)
        token = auth.authenticate(request)
        request.user = token.user
        request.api_token = token
        answer = handler(request, Body.of(request))
    except MlflowError as exc:
        return error_response(exc)
    except RequestDataTooBig:
        return error_response(MlflowError.invalid("The request body is larger than Cairn takes."))
    except Exception:
        log.exception("MLflow endpoint %s %s failed", request.method, path)
        return error_response(
            MlflowError("INTERNAL_ERROR", "Cairn hit an internal error and could not answer.")
        )
    return answer if isinstance(answer, HttpResponse) else JsonResponse(answer)


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return error_response(MlflowError.unsupported(request.method, rest))
