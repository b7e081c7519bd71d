"""plotly figures of imported metrics, built on the server and drawn by static/js/charts.js."""

from __future__ import annotations

import itertools
import json

import numpy as np
import plotly.graph_objects as go

MAX_POINTS = 2000


def downsample(steps: np.ndarray, values: np.ndarray, limit: int = MAX_POINTS):
    """At most about `limit` points: the min and max of each bucket, in step order, ends kept.

    Keeping both extremes of every bucket means a spike or a dip never disappears from the
    chart, unlike taking every n-th point.
    """
    n = len(steps)
    if n <= limit:
        return steps, values
    buckets = max(1, limit // 2)
    edges = np.linspace(0, n, buckets + 1, dtype=np.int64)
    keep = [0, n - 1]
    filled = np.where(np.isnan(values), np.inf, values)
    filled_max = np.where(np.isnan(values), -np.inf, values)
    for start, end in itertools.pairwise(edges):
        if end <= start:
            continue
        keep.append(start + int(np.argmin(filled[start:end])))
        keep.append(start + int(np.argmax(filled_max[start:end])))
    index = np.unique(np.array(keep, dtype=np.int64))
    return steps[index], values[index]


def _trace_arrays(steps: np.ndarray, values: np.ndarray) -> tuple[list, list]:
    # NaN becomes None so that plotly draws a gap rather than a number.
    return steps.tolist(), [None if np.isnan(v) else float(v) for v in values]


def metric_figure(key: str, traces: list[tuple[str, np.ndarray, np.ndarray]]) -> dict:
    """A line chart of one metric for one or more runs, as a JSON-ready dict."""
    fig = go.Figure()
    notes = []
    for name, steps, values in traces:
        shown_steps, shown_values = downsample(steps, values)
        if len(shown_steps) < len(steps):
            notes.append(f"{name}: downsampled from {len(steps):,} points")
        x, y = _trace_arrays(shown_steps, shown_values)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, connectgaps=False))
    fig.update_layout(
        title={"text": key, "font": {"size": 14}},
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=280,
        showlegend=len(traces) > 1,
        xaxis={"title": {"text": "step"}},
        template="plotly_white",
    )
    figure = json.loads(fig.to_json())
    figure["note"] = "; ".join(notes)
    return figure
