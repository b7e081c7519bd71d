"""Metric histories: every point of one metric, and MLflow's sampled bulk read."""

from __future__ import annotations

import bisect
import json

import numpy as np
from django.http import HttpRequest, HttpResponse

from .. import selectors, shapes
from ..errors import MlflowError
from ..protocol import Body
from ..registry import handles

MAX_RESULTS_PER_RUN = 2500
MAX_RUNS_HISTORY_BULK = 100


@handles("GET", "metrics/get-history")
def metrics_get_history(request: HttpRequest, body: Body) -> HttpResponse:
    live = selectors.live_run(user=request.user, run_id=body.run_id())
    key = body.string("metric_key", required=True)
    points = selectors.metric_points(live=live, key=key)
    offset = shapes.page_offset(body.string("page_token"))
    limit = body.integer("max_results")
    end = len(points) if not limit or limit < 0 else min(len(points), offset + limit)
    more = f', "next_page_token": {json.dumps(shapes.page_token(end))}' if end < len(points) else ""
    # A history can hold millions of points: its JSON is written as text in one pass rather
    # than built as a dict per point.
    body = shapes.metrics_json_text(key, points, offset, end)
    return HttpResponse(f'{{"metrics": {body}{more}}}', content_type="application/json")


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
            metrics.append(shapes.metric_json(key, points, int(i), run_id))
    return {"metrics": metrics}
