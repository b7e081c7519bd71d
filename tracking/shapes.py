"""MLflow's JSON shapes of experiments, runs and metrics, and its paging."""

from __future__ import annotations

import base64
import binascii
import json
import math

from projects.appends import Points
from projects.models import Project

from .errors import MlflowError
from .models import LiveRun
from .protocol import Body, json_float, key_values, ms


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


def latest_metrics(summary: dict) -> list[dict]:
    metrics = []
    for key, entry in summary.items():
        if not isinstance(entry, dict):
            continue
        if entry.get("nonfinite"):
            # MLflow's latest value is the newest point even when it is NaN or infinite.
            metrics.append({"key": key, **entry["nonfinite"]})
            continue
        if entry.get("last") is None:
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
            "metrics": latest_metrics(run.summary),
            "params": key_values(run.params),
            "tags": key_values(run.tags),
        },
        "inputs": {},
    }


def page_offset(token: str) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise MlflowError.invalid(f"Invalid page token {token!r}.") from None
    if not isinstance(offset, int) or offset < 0:
        raise MlflowError.invalid(f"Invalid page token {token!r}.")
    return offset


def page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def max_results(body: Body, default: int, limit: int) -> int:
    value = body.integer("max_results")
    if value is None:
        return default
    if value < 1 or value > limit:
        raise MlflowError.invalid(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be at most "
            f"{limit}, and at least 1."
        )
    return value


def metric_json(key: str, points: Points, index: int, run_id: str | None = None) -> dict:
    item = {
        "key": key,
        "value": json_float(float(points.values[index])),
        "timestamp": int(points.timestamps[index]),
        "step": int(points.steps[index]),
    }
    if run_id is not None:
        item["run_id"] = run_id
    return item


def metrics_json_text(key: str, points: Points, start: int, end: int) -> str:
    """metric_json of points[start:end] as one JSON array, written as text."""
    head = '{"key": ' + json.dumps(key) + ', "value": '
    values = [
        repr(v) if math.isfinite(v) else json.dumps(json_float(v))
        for v in points.values[start:end].tolist()
    ]
    times = points.timestamps[start:end].tolist()
    steps = points.steps[start:end].tolist()
    items = [
        f'{head}{v}, "timestamp": {t}, "step": {s}}}'
        for v, t, s in zip(values, times, steps, strict=True)
    ]
    return "[" + ", ".join(items) + "]"
