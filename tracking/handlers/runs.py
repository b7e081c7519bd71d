"""Runs: create, read, update, delete and restore, search, and everything logged to them."""

from __future__ import annotations

from django.http import HttpRequest

from .. import search, selectors, services, shapes
from ..batches import batch_points
from ..errors import MlflowError
from ..models import LifecycleStage, LiveRun, RunStatus
from ..protocol import (
    MAX_BATCH_LOG_REQUEST_SIZE,
    MAX_PARAM_VAL_LENGTH,
    MAX_TAG_VAL_LENGTH,
    Body,
    check_batch_limits,
    check_name,
    check_run_id,
    check_value,
    pairs,
)
from ..registry import handles, source_of

MAX_RUNS_SEARCH = 50000
DEFAULT_RUNS_SEARCH = 1000


@handles("POST", "runs/create")
def runs_create(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", default="0")
    )
    tags = pairs(body, "tags", MAX_TAG_VAL_LENGTH)
    live = services.run_create(
        project=project,
        source=source_of(request),
        start_time=body.integer("start_time"),
        tags=tags,
        run_name=body.string("run_name"),
    )
    return {"run": shapes.run_json(live)}


@handles("GET", "runs/get")
def runs_get(request: HttpRequest, body: Body) -> dict:
    return {"run": shapes.run_json(selectors.live_run(user=request.user, run_id=body.run_id()))}


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
    return {
        "run_info": shapes.run_info_json(selectors.live_run(user=request.user, run_id=live.uuid))
    }


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
    param_pairs = pairs(body, "params", MAX_PARAM_VAL_LENGTH)
    keys = [key for key, _ in param_pairs]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise MlflowError.invalid(
            f"Duplicate parameter keys have been submitted: {dupes}. Please ensure the request "
            "contains only one param value per param key."
        )
    batch = services.Batch(
        points=batch_points(metrics, "metrics"),
        params=param_pairs,
        tags=pairs(body, "tags", MAX_TAG_VAL_LENGTH),
    )
    services.run_log(user=request.user, run_id=run_id, batch=batch, source=source_of(request))
    return {}


@handles("POST", "runs/log-metric")
def runs_log_metric(request: HttpRequest, body: Body) -> dict:
    item = {k: body.data.get(k) for k in ("key", "value", "timestamp", "step")}
    if item["key"] is None:
        raise MlflowError.invalid("Missing value for required parameter 'key'.")
    if item["value"] is None:
        raise MlflowError.invalid("Missing value for required parameter 'value'.")
    batch = services.Batch(points=batch_points([item], "metric"))
    services.run_log(
        user=request.user,
        run_id=check_run_id(body.run_id()),
        batch=batch,
        source=source_of(request),
    )
    return {}


def _log_one(request: HttpRequest, body: Body, kind: str, limit: int) -> dict:
    """log-parameter and set-tag: one key and value, through the batch path."""
    key = check_name(body.string("key", required=True), "key")
    pair = [(key, check_value(body.string("value"), "value", limit))]
    batch = services.Batch(params=pair) if kind == "param" else services.Batch(tags=pair)
    services.run_log(
        user=request.user, run_id=body.run_id(), batch=batch, source=source_of(request)
    )
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
    limit = shapes.max_results(body, DEFAULT_RUNS_SEARCH, MAX_RUNS_SEARCH)
    offset = shapes.page_offset(body.string("page_token"))
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
    answer: dict = {"runs": [shapes.run_json(r["live"]) for r in page]}
    if offset + limit < len(rows):
        answer["next_page_token"] = shapes.page_token(offset + limit)
    return answer
