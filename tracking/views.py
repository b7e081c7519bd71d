"""The MLflow tracking endpoints (see tracking.urls): read the request, call one service or
selector, answer in MLflow's JSON. Every handler runs behind `endpoint`, which authenticates the
token and turns MlflowError (and anything unexpected) into MLflow's error format."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import logging
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from projects.appends import Points
from projects.models import Project

from . import auth, search, selectors, services
from .errors import MlflowError, error_response
from .models import ExperimentTag, LifecycleStage, LiveRun, RunStatus
from .protocol import (
    MAX_BATCH_LOG_REQUEST_SIZE,
    MAX_EXPERIMENT_TAG_VAL_LENGTH,
    MAX_PARAM_VAL_LENGTH,
    MAX_TAG_VAL_LENGTH,
    Body,
    check_batch_limits,
    check_name,
    check_run_id,
    check_value,
    json_float,
    key_values,
    ms,
    to_float,
    to_int,
)

log = logging.getLogger(__name__)

Handler = Callable[[HttpRequest, Body], dict]
ENDPOINTS: dict[tuple[str, str], Handler] = {}

MAX_RUNS_SEARCH = 50000
DEFAULT_RUNS_SEARCH = 1000
MAX_EXPERIMENTS_SEARCH = 50000
MAX_RESULTS_PER_RUN = 2500
MAX_RUNS_HISTORY_BULK = 100

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


def handles(method: str, *paths: str):
    def register(handler: Handler) -> Handler:
        for path in paths:
            ENDPOINTS[(method, path)] = handler
        return handler

    return register


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
    return JsonResponse(answer)


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return error_response(MlflowError.unsupported(request.method, rest))


def _source(request: HttpRequest) -> services.Source:
    return services.Source(
        user=request.user,
        token_prefix=request.api_token.prefix,
        client=auth.client_of(request),
        host=auth.host_of(request),
    )


# --- Shapes -------------------------------------------------------------------------------


def experiment_json(project: Project, tags: dict | None = None) -> dict:
    if tags is None:
        tags = dict(project.mlflow_tags.values_list("key", "value"))
    return {
        "experiment_id": str(project.pk),
        "name": project.title,
        "artifact_location": f"mlflow-artifacts:/{project.pk}",
        "lifecycle_stage": "active",
        "last_update_time": ms(project.updated_at),
        "creation_time": ms(project.created_at),
        "tags": key_values(tags),
    }


def run_info_json(live: LiveRun) -> dict:
    run = live.run
    info = {
        "run_id": live.uuid,
        "run_uuid": live.uuid,
        "run_name": run.name,
        "experiment_id": str(run.project_id),
        "user_id": run.tags.get("mlflow.user", ""),
        "status": live.status,
        "start_time": live.start_time,
        "artifact_uri": f"mlflow-artifacts:/{run.project_id}/{live.uuid}/artifacts",
        "lifecycle_stage": live.lifecycle_stage,
    }
    if live.end_time is not None:
        info["end_time"] = live.end_time
    return info


def _latest_metrics(summary: dict) -> list[dict]:
    metrics = []
    for key, entry in summary.items():
        if not isinstance(entry, dict) or entry.get("last") is None:
            continue
        metrics.append(
            {
                "key": key,
                "value": json_float(entry["last"]),
                "timestamp": entry.get("timestamp", 0),
                "step": entry.get("step", 0),
            }
        )
    return metrics


def run_json(live: LiveRun) -> dict:
    run = live.run
    return {
        "info": run_info_json(live),
        "data": {
            "metrics": _latest_metrics(run.summary),
            "params": key_values(run.params),
            "tags": key_values(run.tags),
        },
        "inputs": {},
    }


def _page(token: str) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise MlflowError.invalid(f"Invalid page token {token!r}.") from None
    if not isinstance(offset, int) or offset < 0:
        raise MlflowError.invalid(f"Invalid page token {token!r}.")
    return offset


def _token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _max_results(body: Body, default: int, limit: int) -> int:
    value = body.integer("max_results")
    if value is None:
        return default
    if value < 1 or value > limit:
        raise MlflowError.invalid(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be at most "
            f"{limit}, and at least 1."
        )
    return value


# --- Experiments --------------------------------------------------------------------------


def _pairs(body: Body, name: str, value_limit: int) -> list[tuple[str, str]]:
    pairs = []
    for i, item in enumerate(body.objects(name)):
        key = check_name(str(item.get("key") or ""), f"{name}[{i}].key")
        value = check_value(str(item.get("value") or ""), f"{name}[{i}].value", value_limit)
        pairs.append((key, value))
    return pairs


@handles("POST", "experiments/create")
def experiments_create(request: HttpRequest, body: Body) -> dict:
    tags = _pairs(body, "tags", MAX_EXPERIMENT_TAG_VAL_LENGTH)
    project = services.experiment_create(
        user=request.user, name=body.string("name", required=True), tags=tags
    )
    return {"experiment_id": str(project.pk)}


@handles("GET", "experiments/get")
def experiments_get(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", required=True)
    )
    return {"experiment": experiment_json(project)}


@handles("GET", "experiments/get-by-name")
def experiments_get_by_name(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_by_name(
        user=request.user, name=body.string("experiment_name", required=True)
    )
    return {"experiment": experiment_json(project)}


@handles("POST", "experiments/set-experiment-tag")
def experiments_set_tag(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", required=True)
    )
    key = check_name(body.string("key", required=True), "key")
    value = check_value(body.string("value"), "value", MAX_EXPERIMENT_TAG_VAL_LENGTH)
    services.experiment_set_tags(project=project, tags=[(key, value)])
    return {}


@handles("POST", "experiments/delete-experiment-tag")
def experiments_delete_tag(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", required=True)
    )
    ExperimentTag.objects.filter(project=project, key=body.string("key", required=True)).delete()
    return {}


@handles("POST", "experiments/search")
@handles("GET", "experiments/search")
def experiments_search(request: HttpRequest, body: Body) -> dict:
    numeric, strings = search.EXPERIMENT_NUMERIC, search.EXPERIMENT_STRINGS
    clauses = search.parse_filter(body.string("filter"), numeric=numeric, strings=strings)
    order = search.parse_order_by(body.strings("order_by"), numeric=numeric, strings=strings)
    view = body.string("view_type", default="ACTIVE_ONLY")
    limit = _max_results(body, 1000, MAX_EXPERIMENTS_SEARCH)
    offset = _page(body.string("page_token"))
    projects = list(Project.objects.owned_by(request.user).order_by("-updated_at", "-id"))
    tags: dict[int, dict] = defaultdict(dict)
    for project_id, key, value in ExperimentTag.objects.filter(project__in=projects).values_list(
        "project_id", "key", "value"
    ):
        tags[project_id][key] = value
    rows = []
    if view in ("ACTIVE_ONLY", "ALL", "1", "3"):
        for project in projects:
            shape = experiment_json(project, tags[project.pk])
            row = {
                "attribute": {
                    "name": project.title,
                    "experiment_id": str(project.pk),
                    "creation_time": shape["creation_time"],
                    "last_update_time": shape["last_update_time"],
                },
                "tag": tags[project.pk],
                "metric": {},
                "param": {},
                "shape": shape,
            }
            if search.matches(row, clauses):
                rows.append(row)
    rows = search.sort_rows(rows, order)
    page = rows[offset : offset + limit]
    answer: dict = {"experiments": [r["shape"] for r in page]}
    if offset + limit < len(rows):
        answer["next_page_token"] = _token(offset + limit)
    return answer


# --- Runs ---------------------------------------------------------------------------------


@handles("POST", "runs/create")
def runs_create(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", default="0")
    )
    tags = _pairs(body, "tags", MAX_TAG_VAL_LENGTH)
    live = services.run_create(
        project=project,
        source=_source(request),
        start_time=body.integer("start_time"),
        tags=tags,
        run_name=body.string("run_name"),
    )
    return {"run": run_json(live)}


@handles("GET", "runs/get")
def runs_get(request: HttpRequest, body: Body) -> dict:
    return {"run": run_json(selectors.live_run(user=request.user, run_id=body.run_id()))}


@handles("POST", "runs/update")
def runs_update(request: HttpRequest, body: Body) -> dict:
    status = body.string("status")
    if status and status not in RunStatus.values:
        raise MlflowError.invalid(
            f"Invalid value {status!r} for parameter 'status' supplied. It must be one of "
            f"{', '.join(RunStatus.values)}."
        )
    live = services.run_update(
        user=request.user,
        run_id=body.run_id(),
        status=status or None,
        end_time=body.integer("end_time"),
        run_name=body.string("run_name"),
    )
    return {"run_info": run_info_json(selectors.live_run(user=request.user, run_id=live.uuid))}


@handles("POST", "runs/delete")
def runs_delete(request: HttpRequest, body: Body) -> dict:
    services.run_set_lifecycle(
        user=request.user, run_id=body.run_id(), stage=LifecycleStage.DELETED
    )
    return {}


@handles("POST", "runs/restore")
def runs_restore(request: HttpRequest, body: Body) -> dict:
    services.run_set_lifecycle(user=request.user, run_id=body.run_id(), stage=LifecycleStage.ACTIVE)
    return {}


def _metrics(items: list[dict], path: str) -> dict[str, Points]:
    """Checked points grouped by key, as numpy arrays (no per-point query, no per-point object
    beyond the parsed JSON)."""
    steps: dict[str, list[int]] = defaultdict(list)
    times: dict[str, list[int]] = defaultdict(list)
    values: dict[str, list[float]] = defaultdict(list)
    checked: set[str] = set()
    for i, item in enumerate(items):
        key = item.get("key")
        if key not in checked:
            check_name(key if isinstance(key, str) else "", f"{path}[{i}].key", "Metric names")
            checked.add(key)
        value = item.get("value")
        if type(value) is not float:
            value = to_float(value, f"{path}[{i}].value")
        timestamp = item.get("timestamp")
        if type(timestamp) is not int:
            timestamp = (
                to_int(timestamp, f"{path}[{i}].timestamp") if timestamp is not None else None
            )
        if timestamp is None or timestamp < 0:
            raise MlflowError.invalid(
                f"Invalid value {timestamp} for parameter '{path}[{i}].timestamp' supplied: "
                f"metric '{key}' (value={value}). Timestamp must be a nonnegative long (64-bit "
                "integer) "
            )
        step = item.get("step", 0)
        if type(step) is not int:
            step = to_int(step, f"{path}[{i}].step") if step is not None else 0
        steps[key].append(step)
        times[key].append(timestamp)
        values[key].append(value)
    return {
        key: Points(
            np.array(steps[key], dtype="<i8"),
            np.array(times[key], dtype="<i8"),
            np.array(values[key], dtype="<f8"),
        )
        for key in steps
    }


@handles("POST", "runs/log-batch")
def runs_log_batch(request: HttpRequest, body: Body) -> dict:
    if len(request.body) > MAX_BATCH_LOG_REQUEST_SIZE:
        raise MlflowError.invalid(
            f"Batched logging API requests must be at most {MAX_BATCH_LOG_REQUEST_SIZE} bytes, "
            f"got a request of size {len(request.body)}."
        )
    run_id = check_run_id(body.run_id())
    metrics, params, tags = body.objects("metrics"), body.objects("params"), body.objects("tags")
    check_batch_limits(len(metrics), len(params), len(tags))
    param_pairs = _pairs(body, "params", MAX_PARAM_VAL_LENGTH)
    keys = [key for key, _ in param_pairs]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise MlflowError.invalid(
            f"Duplicate parameter keys have been submitted: {dupes}. Please ensure the request "
            "contains only one param value per param key."
        )
    batch = services.Batch(
        points=_metrics(metrics, "metrics"),
        params=param_pairs,
        tags=_pairs(body, "tags", MAX_TAG_VAL_LENGTH),
    )
    services.run_log(user=request.user, run_id=run_id, batch=batch, source=_source(request))
    return {}


@handles("POST", "runs/log-metric")
def runs_log_metric(request: HttpRequest, body: Body) -> dict:
    item = {k: body.data.get(k) for k in ("key", "value", "timestamp", "step")}
    if item["key"] is None:
        raise MlflowError.invalid("Missing value for required parameter 'key'.")
    if item["value"] is None:
        raise MlflowError.invalid("Missing value for required parameter 'value'.")
    batch = services.Batch(points=_metrics([item], "metric"))
    services.run_log(
        user=request.user, run_id=check_run_id(body.run_id()), batch=batch, source=_source(request)
    )
    return {}


def _log_one(request: HttpRequest, body: Body, kind: str, limit: int) -> dict:
    """log-parameter and set-tag: one key and value, through the batch path."""
    key = check_name(body.string("key", required=True), "key")
    pair = [(key, check_value(body.string("value"), "value", limit))]
    batch = services.Batch(params=pair) if kind == "param" else services.Batch(tags=pair)
    services.run_log(user=request.user, run_id=body.run_id(), batch=batch, source=_source(request))
    return {}


@handles("POST", "runs/log-parameter")
def runs_log_param(request: HttpRequest, body: Body) -> dict:
    return _log_one(request, body, "param", MAX_PARAM_VAL_LENGTH)


@handles("POST", "runs/set-tag")
def runs_set_tag(request: HttpRequest, body: Body) -> dict:
    return _log_one(request, body, "tag", MAX_TAG_VAL_LENGTH)


@handles("POST", "runs/delete-tag")
def runs_delete_tag(request: HttpRequest, body: Body) -> dict:
    services.run_delete_tag(
        user=request.user, run_id=body.run_id(), key=body.string("key", required=True)
    )
    return {}


_VIEW_STAGES = {
    "ACTIVE_ONLY": (LifecycleStage.ACTIVE,),
    "1": (LifecycleStage.ACTIVE,),
    "DELETED_ONLY": (LifecycleStage.DELETED,),
    "2": (LifecycleStage.DELETED,),
    "ALL": (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
    "3": (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
}


@handles("POST", "runs/search")
def runs_search(request: HttpRequest, body: Body) -> dict:
    clauses = search.parse_filter(body.string("filter"))
    order = search.parse_order_by(body.strings("order_by"))
    limit = _max_results(body, DEFAULT_RUNS_SEARCH, MAX_RUNS_SEARCH)
    offset = _page(body.string("page_token"))
    stages = _VIEW_STAGES.get(body.string("run_view_type", default="ACTIVE_ONLY"))
    if stages is None:
        raise MlflowError.invalid("run_view_type is one of ACTIVE_ONLY, DELETED_ONLY, ALL.")
    ids = body.strings("experiment_ids")
    projects = [selectors.experiment_for(user=request.user, experiment_id=i) for i in ids]
    lives = (
        LiveRun.objects.owned_by(request.user)
        .filter(run__project__in=projects, lifecycle_stage__in=stages)
        .select_related("run")
    )
    rows = []
    for live in lives:
        run = live.run
        row = {
            "metric": {k: v.get("last") for k, v in run.summary.items() if isinstance(v, dict)},
            "param": run.params,
            "tag": run.tags,
            "attribute": {
                "run_id": live.uuid,
                "run_name": run.name,
                "status": live.status,
                "user_id": run.tags.get("mlflow.user", ""),
                "artifact_uri": f"mlflow-artifacts:/{run.project_id}/{live.uuid}/artifacts",
                "lifecycle_stage": live.lifecycle_stage,
                "start_time": live.start_time,
                "end_time": live.end_time,
            },
            "live": live,
        }
        if search.matches(row, clauses):
            rows.append(row)
    # MLflow's default: newest first, then by run id.
    rows.sort(key=lambda r: r["attribute"]["run_id"])
    rows.sort(key=lambda r: r["attribute"]["start_time"] or 0, reverse=True)
    rows = search.sort_rows(rows, order)
    page = rows[offset : offset + limit]
    answer: dict = {"runs": [run_json(r["live"]) for r in page]}
    if offset + limit < len(rows):
        answer["next_page_token"] = _token(offset + limit)
    return answer


# --- Metric histories ---------------------------------------------------------------------


def _metric_json(key: str, points: Points, index: int, run_id: str | None = None) -> dict:
    item = {
        "key": key,
        "value": json_float(float(points.values[index])),
        "timestamp": int(points.timestamps[index]),
        "step": int(points.steps[index]),
    }
    if run_id is not None:
        item["run_id"] = run_id
    return item


@handles("GET", "metrics/get-history")
def metrics_get_history(request: HttpRequest, body: Body) -> dict:
    live = selectors.live_run(user=request.user, run_id=body.run_id())
    key = body.string("metric_key", required=True)
    points = selectors.metric_points(live=live, key=key)
    offset = _page(body.string("page_token"))
    limit = body.integer("max_results")
    end = len(points) if not limit or limit < 0 else min(len(points), offset + limit)
    answer: dict = {"metrics": [_metric_json(key, points, i) for i in range(offset, end)]}
    if end < len(points):
        answer["next_page_token"] = _token(end)
    return answer


def _sampled_steps(start: int, end: int, max_results: int, all_steps: list[int]) -> set[int]:
    """MLflow's sampling of the steps of several runs: evenly spaced over the range."""
    lo, hi = bisect.bisect_left(all_steps, start), bisect.bisect_right(all_steps, end)
    if hi - lo <= max_results:
        return set(all_steps[lo:hi])
    interval = (hi - lo) / max_results
    sampled = {all_steps[lo + int(i * interval)] for i in range(max_results)}
    sampled.add(all_steps[hi - 1])
    return sampled


@handles("GET", "metrics/get-history-bulk-interval")
def metrics_history_bulk_interval(request: HttpRequest, body: Body) -> dict:
    run_ids = body.strings("run_ids")
    if not run_ids:
        raise MlflowError.invalid("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > MAX_RUNS_HISTORY_BULK:
        raise MlflowError.invalid(
            f"GetMetricHistoryBulkInterval request must specify at most "
            f"{MAX_RUNS_HISTORY_BULK} run_ids. Received {len(run_ids)} run_ids."
        )
    key = body.string("metric_key", required=True)
    max_results = body.integer("max_results")
    max_results = MAX_RESULTS_PER_RUN if max_results is None else max_results
    if not 1 <= max_results <= MAX_RESULTS_PER_RUN:
        raise MlflowError.invalid(f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}.")
    start, end = body.integer("start_step"), body.integer("end_step")
    if (start is None) != (end is None):
        raise MlflowError.invalid(
            "If either start step or end step are specified, both must be specified."
        )
    if start is not None and start > end:
        raise MlflowError.invalid(
            "end_step must be greater than start_step. "
            f"Found start_step={start} and end_step={end}."
        )
    series = []
    for run_id in run_ids:
        live = selectors.live_run(user=request.user, run_id=run_id)
        series.append((run_id, selectors.metric_points(live=live, key=key)))
    all_steps = sorted({int(s) for _, points in series for s in np.unique(points.steps)})
    if start is None:
        start, end = 0, (all_steps[-1] if all_steps else 0)
    wanted = _sampled_steps(start, end, max_results, all_steps)
    for _, points in series:
        if len(points):
            wanted |= {
                s for s in (int(points.steps.min()), int(points.steps.max())) if start <= s <= end
            }
    wanted_array = np.array(sorted(wanted), dtype="<i8")
    metrics = []
    for run_id, points in series:
        for i in np.flatnonzero(np.isin(points.steps, wanted_array)):
            metrics.append(_metric_json(key, points, int(i), run_id))
    return {"metrics": metrics}
