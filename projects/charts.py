"""plotly figures of imported metrics, built on the server and drawn by static/js/charts.js.

Figures are plain plotly figure dicts (data + layout), JSON-ready. Every step here works on
whole numpy arrays: a series may hold millions of points, and a Python loop over them would
cost seconds where the arrays cost milliseconds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .chart_theme import TARGET_LINE, colour, layout, plot_text
from .metrics import comparison_for, comparison_sign

MAX_POINTS = 2000
MAX_SMOOTHING = 0.99
# Series this short are drawn with a dot on every point: a one-point line draws nothing.
MARKERS_UNDER = 30


@dataclass(frozen=True)
class ChartOptions:
    """How a metric is drawn: against steps or wall time, smoothed, on a log scale."""

    x: str = "step"  # "step" or "time"
    smooth: float = 0.0  # EMA weight, 0 (none) to 0.99
    log: bool = False


@dataclass
class SeriesData:
    """One run's points of one metric, as read from the store."""

    name: str
    steps: np.ndarray
    values: np.ndarray
    wall_times: np.ndarray | None = None
    params: dict = field(default_factory=dict)
    # Which run the points are of: its traces carry uid "run-<id>", which live charts extend.
    run_id: int | None = None


@dataclass
class Target:
    """The project's success target, drawn as a dashed line on its metric's charts."""

    value: float
    direction: str = "higher"

    @property
    def label(self) -> str:
        """ "target ≥ 0.9": written with ≥ and ≤ like every target (targets.comparison_sign)."""
        return f"target {comparison_sign(comparison_for(self.direction))} {self.value:g}"


@dataclass
class Window:
    """A zoomed range of the x axis (steps, or seconds since the epoch for wall time)."""

    x0: float
    x1: float


@dataclass
class Figure:
    figure: dict
    notes: list[str] = field(default_factory=list)
    points_sent: int = 0


# --- Downsampling ------------------------------------------------------------------------------


def downsample_index(values: np.ndarray, limit: int = MAX_POINTS, must: np.ndarray | None = None):
    """Indices of at most about `limit` points: the min and max of each bucket, in order.

    Keeping both extremes of every bucket means a spike or a dip never disappears from the
    chart, unlike taking every n-th point. A bucket holding a gap (NaN) also keeps its first
    NaN, so the gap still shows. `must` are indices kept whatever happens (a restart).
    """
    n = len(values)
    if n <= limit:
        return np.arange(n)
    if must is not None and must.size > limit // 4:
        must = None  # a series that restarts hundreds of times: its buckets show that anyway
    nan = np.isnan(values)
    # Two points a bucket (three with gaps), the ends, the restarts (and a break after each),
    # all within the limit.
    spare = limit - 2 - (int(1.5 * must.size) if must is not None else 0)
    buckets = max(1, spare // (3 if nan.any() else 2))
    size = -(-n // buckets)  # ceil
    padded = buckets * size
    lows = np.full(padded, np.inf)
    lows[:n] = np.where(nan, np.inf, values)
    highs = np.full(padded, -np.inf)
    highs[:n] = np.where(nan, -np.inf, values)
    base = np.arange(buckets) * size
    keep = [
        base + lows.reshape(buckets, size).argmin(axis=1),
        base + highs.reshape(buckets, size).argmax(axis=1),
        np.array([0, n - 1]),
    ]
    if nan.any():
        gaps = np.zeros(padded, dtype=bool)
        gaps[:n] = nan
        rows = gaps.reshape(buckets, size)
        keep.append((base + rows.argmax(axis=1))[rows.any(axis=1)])
    if must is not None and must.size:
        keep.append(must)
    index = np.unique(np.concatenate(keep))
    return index[index < n]


def downsample(steps: np.ndarray, values: np.ndarray, limit: int = MAX_POINTS):
    """The steps and values of at most about `limit` points, every local extreme kept."""
    index = downsample_index(values, limit, must=_restart_index(steps))
    return steps[index], values[index]


def _restart_index(steps: np.ndarray) -> np.ndarray:
    """Both sides of every place where the steps go backwards (a resumed run)."""
    after = np.flatnonzero(np.diff(steps) < 0) + 1
    return np.concatenate([after - 1, after]) if after.size else after


# --- Smoothing ---------------------------------------------------------------------------------


def ema(values: np.ndarray, weight: float, steps: np.ndarray | None = None) -> np.ndarray:
    """Exponential moving average: s[0] = v[0], s[i] = w * s[i-1] + (1 - w) * v[i].

    Gaps are skipped (the average carries over them) and stay gaps; a restart (steps going
    backwards) starts the average afresh, as it is a new curve.
    """
    if weight <= 0 or values.size == 0:
        return values
    out = np.empty_like(values, dtype=float)
    after = np.flatnonzero(np.diff(steps) < 0) + 1 if steps is not None else []
    bounds = [0, *list(after), len(values)]
    for start, end in itertools.pairwise(bounds):
        part = pd.Series(values[start:end])
        out[start:end] = part.ewm(alpha=1 - weight, adjust=False, ignore_na=True).mean()
    out[np.isnan(values)] = np.nan
    return out


# --- Traces ------------------------------------------------------------------------------------


def json_values(values: np.ndarray) -> list:
    # NaN becomes None (null) so that plotly draws a gap rather than a number; done on the
    # whole array at once.
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


def json_x(x: np.ndarray, time: bool) -> list:
    if not time:
        return x.tolist()
    stamps = np.round(x * 1000).astype("datetime64[ms]")
    return np.datetime_as_string(stamps, unit="ms").tolist()


def _with_breaks(x: np.ndarray, y: np.ndarray, steps: np.ndarray):
    """x and y with a NaN between points where the steps go backwards, so the line breaks
    there instead of running back to the start."""
    back = np.flatnonzero(np.diff(steps) < 0) + 1
    if not back.size:
        return x, y
    return (
        np.insert(x.astype(float), back, x[back - 1].astype(float)),
        np.insert(y.astype(float), back, np.nan),
    )


def _series_trace(
    series: SeriesData,
    options: ChartOptions,
    color: str,
    limit: int,
    window: Window | None,
) -> tuple[list[dict], str, int]:
    """The raw (and smoothed) traces of one run, a note when downsampled, and points sent."""
    steps, values = series.steps, series.values
    time = options.x == "time"
    x = series.wall_times if time else steps
    smoothed = ema(values, options.smooth, steps) if options.smooth > 0 else None
    total = len(values)
    if window is not None:
        inside = np.flatnonzero((x >= window.x0) & (x <= window.x1))
        if inside.size:
            # One point beyond each edge, so the line runs to the edges of the window.
            lo, hi = max(int(inside[0]) - 1, 0), min(int(inside[-1]) + 1, total - 1)
            inside = np.union1d(inside, [lo, hi])
        steps, values, x = steps[inside], values[inside], x[inside]
        smoothed = smoothed[inside] if smoothed is not None else None
        total = len(values)
    index = downsample_index(values, limit, must=_restart_index(steps))
    note = f"{series.name}: downsampled from {total:,} points" if len(index) < total else ""
    shown_steps = steps[index]
    px, py = _with_breaks(x[index], values[index], shown_steps)
    x_json = json_x(px, time)
    hover = "%{y:.4g}<extra>" + "%{fullData.name}</extra>"
    name = plot_text(series.name)
    short = int(np.count_nonzero(~np.isnan(py))) <= MARKERS_UNDER
    run = f"run-{series.run_id}" if series.run_id is not None else None

    def line(y: np.ndarray, width: float, uid: str | None) -> dict:
        trace = {
            "type": "scatter",
            "mode": "lines+markers" if short else "lines",
            "name": name,
            "x": x_json,
            "y": json_values(y),
            "connectgaps": False,
            "line": {"color": color, "width": width},
            "legendgroup": name,
            "hovertemplate": hover,
        }
        if short:
            trace["marker"] = {"color": color, "size": 7}
        if uid:  # live charts extend the trace of their run by this id
            trace["uid"] = uid
        return trace

    if smoothed is None:
        return [line(py, 1.5, run)], note, len(x_json)
    raw = line(py, 1.5, run and f"{run}-raw")
    raw.update(opacity=0.25, showlegend=False, name=f"{name} (raw)", hoverinfo="skip")
    raw.pop("hovertemplate")
    _, sy = _with_breaks(x[index], smoothed[index], shown_steps)
    return [raw, line(sy, 2, run)], note, 2 * len(x_json)


def _target_trace(target: Target, x_range: tuple, time: bool) -> dict:
    # A trace rather than a layout shape: it follows a log axis without conversion and shows
    # in the legend, saying what the dashed line is.
    x = np.array(x_range, dtype=float)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": target.label,
        "x": json_x(x, time),
        "y": [target.value, target.value],
        "line": TARGET_LINE,
        "hoverinfo": "skip",
        "meta": "target",
    }


def metric_traces(
    runs: list[SeriesData],
    options: ChartOptions,
    *,
    target: Target | None = None,
    window: Window | None = None,
    limit: int = MAX_POINTS,
) -> Figure:
    """The traces of one metric for several runs (and the target line), with their notes."""
    data: list[dict] = []
    notes: list[str] = []
    sent = 0
    lo, hi = np.inf, -np.inf
    for n, series in enumerate(runs):
        if options.x == "time" and series.wall_times is None:
            notes.append(f"{series.name}: no wall times in the file")
            continue
        traces, note, count = _series_trace(series, options, colour(n), limit, window)
        data += traces
        sent += count
        if note:
            notes.append(note)
        x = series.wall_times if options.x == "time" else series.steps
        if x.size:
            lo, hi = min(lo, float(np.nanmin(x))), max(hi, float(np.nanmax(x)))
    if target is not None and data and np.isfinite(lo):
        span = (window.x0, window.x1) if window is not None else (lo, hi)
        data.append(_target_trace(target, span, options.x == "time"))
    return Figure(figure={"data": data}, notes=notes, points_sent=sent)


def metric_figure(
    key: str,
    runs: list[SeriesData] | list[tuple[str, np.ndarray, np.ndarray]],
    options: ChartOptions | None = None,
    *,
    target: Target | None = None,
    height: int = 320,
    limit: int = MAX_POINTS,
) -> dict:
    """A line chart of one metric for one or more runs, as a JSON-ready plotly figure dict.

    The dict has a "note" saying which traces were downsampled from how many points.
    """
    options = options or ChartOptions()
    runs = [r if isinstance(r, SeriesData) else SeriesData(*r) for r in runs]
    built = metric_traces(runs, options, target=target, limit=limit)
    shown_runs = sum(1 for t in built.figure["data"] if t.get("showlegend", True))
    figure = {
        "data": built.figure["data"],
        "layout": metric_layout(key, options, height=height, legend=shown_runs > 1),
        "note": "; ".join(built.notes),
        "points": built.points_sent,
        "target": next((t["name"] for t in built.figure["data"] if t.get("meta") == "target"), ""),
    }
    return figure


def metric_layout(key: str, options: ChartOptions, *, height: int, legend: bool) -> dict:
    x_title = "wall time" if options.x == "time" else "step"
    return layout(
        # The card around the chart carries the metric's name as a heading; plotly's own
        # title would repeat it. meta keeps it for tests and tools reading the JSON.
        meta={"metric": plot_text(key)},
        height=height,
        showlegend=legend,
        # Under the axis title whatever the tick labels take (they wrap on a phone).
        legend={"yref": "container", "y": 0, "yanchor": "bottom"},
        hovermode="x unified",
        xaxis={
            "title": {"text": x_title, "standoff": 6},
            "nticks": 7,
            "tickangle": 0,
            "type": "date" if options.x == "time" else "linear",
        },
        yaxis={"type": "log" if options.log else "linear"},
    )
