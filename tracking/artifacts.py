"""MLflow's artifact proxy endpoints, as `mlflow server --serve-artifacts` answers them:

    PUT /mlflow/api/2.0/mlflow-artifacts/artifacts/<experiment>/<run uuid>/artifacts/<path>
    GET /mlflow/api/2.0/mlflow-artifacts/artifacts/<experiment>/<run uuid>/artifacts/<path>
    GET /mlflow/api/2.0/mlflow-artifacts/artifacts?path=<experiment>/<run uuid>/artifacts[/dir]

A run's artifact_uri is `mlflow-artifacts:/<experiment>/<run uuid>/artifacts`, which the client
resolves against MLFLOW_TRACKING_URI to these addresses. The run is found by its uuid among the
token owner's runs (someone else's is as absent as a missing one); the files are
projects.RunArtifact rows (projects/artifacts.py stores and serves them).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from projects import artifacts
from projects.models import Run

from . import auth, selectors
from .errors import MlflowError, error_response
from .protocol import Body
from .registry import handles

ROOT = "artifacts"


def _split(path: str) -> tuple[str, str]:
    """(run uuid, path under the run's artifact root) of `<experiment>/<uuid>/artifacts/...`."""
    parts = path.strip("/").split("/", 3)
    if len(parts) < 3 or parts[2] != ROOT or not parts[1]:
        raise MlflowError.invalid(
            f"Artifact paths look like <experiment>/<run id>/{ROOT}/<file>; got “{path}”."
        )
    return parts[1], parts[3] if len(parts) == 4 else ""


def _run(user, uuid: str) -> Run:
    return selectors.live_run(user=user, run_id=uuid).run


def _upload(request: HttpRequest, user, path: str) -> JsonResponse:
    uuid, inner = _split(path)
    run = _run(user, uuid)
    if not inner:
        raise MlflowError.invalid("Give the file's name after the run's artifact root.")
    try:
        length = int(request.headers.get("Content-Length") or 0) or None
    except ValueError:
        length = None
    try:
        artifacts.artifact_store(run=run, path=inner, stream=request, length=length)
    except artifacts.ArtifactRefused as exc:
        raise MlflowError.invalid(str(exc)) from None
    return JsonResponse({})


def _download(user, path: str) -> HttpResponse:
    uuid, inner = _split(path)
    run = _run(user, uuid)
    artifact = artifacts.artifact_at(run=run, path=inner) if inner else None
    if artifact is None:
        raise MlflowError.missing(f"No artifact at {path}.")
    return artifacts.file_response(artifact, download=True)


def _listing(user, path: str) -> JsonResponse:
    if not path.strip("/"):
        # The root of every experiment: MLflow lists experiments' folders; Cairn lists nothing.
        return JsonResponse({})
    if path.strip("/").count("/") < 2:
        # An experiment's or a run's folder above the artifact root: nothing to list here.
        return JsonResponse({})
    uuid, inner = _split(path)
    run = _run(user, uuid)
    try:
        entries = artifacts.artifact_listing(run=run, folder=inner)
    except artifacts.ArtifactRefused as exc:
        raise MlflowError.invalid(str(exc)) from None
    files = [
        {"path": e.name, "is_dir": True}
        if e.is_dir
        else {"path": e.name, "is_dir": False, "file_size": e.size}
        for e in entries
    ]
    # MLflow leaves out an empty list: an empty folder answers {}.
    return JsonResponse({"files": files} if files else {})


@csrf_exempt
def artifact_endpoint(request: HttpRequest, path: str | None = None) -> HttpResponse:
    """Upload, download or list artifacts of the token owner's runs."""
    try:
        user = auth.authenticate(request).user
        if request.method == "PUT" and path:
            return _upload(request, user, path)
        if request.method == "GET" and path:
            return _download(user, path)
        if request.method == "GET":
            return _listing(user, request.GET.get("path", ""))
        raise MlflowError.unsupported(
            request.method, f"api/2.0/mlflow-artifacts/artifacts/{path or ''}"
        )
    except MlflowError as exc:
        return error_response(exc)


@handles("GET", "artifacts/list")
def artifacts_list(request: HttpRequest, body: Body) -> dict:
    """The tracking API's listing: paths relative to the run's artifact root."""
    live = selectors.live_run(user=request.user, run_id=body.run_id())
    folder = body.string("path").strip("/")
    try:
        entries = artifacts.artifact_listing(run=live.run, folder=folder)
    except artifacts.ArtifactRefused as exc:
        raise MlflowError.invalid(str(exc)) from None
    files = []
    for e in entries:
        path = f"{folder}/{e.name}" if folder else e.name
        files.append(
            {"path": path, "is_dir": True}
            if e.is_dir
            else {"path": path, "is_dir": False, "file_size": e.size}
        )
    answer = {"root_uri": f"mlflow-artifacts:/{live.run.project_id}/{live.uuid}/artifacts"}
    return {**answer, "files": files} if files else answer


@handles("POST", "logged-models/search")
def logged_models_search(request: HttpRequest, body: Body) -> dict:
    """Cairn keeps no logged models, so a search finds none. The client asks before it lists a
    run's folder (`list_artifacts(run_id, "model")` looks for a model of that name first)."""
    return {}
