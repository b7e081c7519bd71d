"""plotly figures of imported metrics, built on the server and drawn by static/js/charts.js.

Figures are plain plotly figure dicts (data + layout), JSON-ready. Every step here works on
whole numpy arrays: a series may hold millions of points, and a Python loop over them would
cost seconds where the arrays cost milliseconds.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_POINTS = 2000
MAX_SMOOTHING = 0.99
# Series this short are drawn with a dot on every point: a one-point line draws nothing.
MARKERS_UNDER = 30
# Colours a run keeps across its raw and smoothed lines: Cairn's accent and accent-2 first,
# then hues far enough apart to tell ten runs apart on white.
PALETTE = (
    "#3d5a80", "#ee6c4d", "#2a9d8f", "#9b5de5", "#e9a03b", "#6c757d", "#d62976",
    "#1b998b", "#8d6e63", "#4361ee",
)  # fmt: skip
GRID = "#eef1f5"
INK = "#1d2733"
MUTED = "#5d6b7a"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


@dataclass(frozen=True)
class ChartOptions:
    """How a metric is drawn: against steps or wall time, smoothed, on a log scale."""

    x: str = "step"  # "step" or "time"
    smooth: float = 0.0  # EMA weight, 0 (none) to 0.99
    log: bool = False


def plot_text(text) -> str:
    """A name as plotly text: plotly reads a subset of HTML in every text it draws (trace names,
    axis titles, hover text, tick labels, annotations), so a run called `<a href=…>` would
    become a live link and `<b>` an inline style. Escaped, it is drawn as typed."""
    return html.escape(str(text), quote=False)


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
        return f"target {'≥' if self.direction == 'higher' else '≤'} {self.value:g}"


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
    mode = "lines+markers" if short else "lines"
    traces = []
    raw = {
        "type": "scatter",
        "mode": mode,
        "name": name,
        "x": x_json,
        "y": json_values(py),
        "connectgaps": False,
        "line": {"color": color, "width": 1.5},
        "legendgroup": name,
        "hovertemplate": hover,
    }
    if short:
        raw["marker"] = {"color": color, "size": 7}
    if series.run_id is not None:
        raw["uid"] = f"run-{series.run_id}"
    traces.append(raw)
    sent = len(x_json)
    if smoothed is not None:
        raw.update(opacity=0.25, showlegend=False, name=f"{name} (raw)", hoverinfo="skip")
        raw.pop("hovertemplate")
        _, sy = _with_breaks(x[index], smoothed[index], shown_steps)
        smooth = {
            "type": "scatter",
            "mode": mode,
            "name": name,
            "x": x_json,
            "y": json_values(sy),
            "connectgaps": False,
            "line": {"color": color, "width": 2},
            "legendgroup": name,
            "hovertemplate": hover,
        }
        if short:
            smooth["marker"] = {"color": color, "size": 7}
        if series.run_id is not None:
            raw["uid"] = f"run-{series.run_id}-raw"
            smooth["uid"] = f"run-{series.run_id}"
        traces.append(smooth)
        sent += len(x_json)
    return traces, note, sent


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
        "line": {"color": "#2a7d4f", "dash": "dash", "width": 1.5},
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
        traces, note, count = _series_trace(
            series, options, PALETTE[n % len(PALETTE)], limit, window
        )
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
        "layout": _layout(key, options, height=height, legend=shown_runs > 1),
        "note": "; ".join(built.notes),
        "points": built.points_sent,
        "target": next((t["name"] for t in built.figure["data"] if t.get("meta") == "target"), ""),
    }
    return figure


def _layout(key: str, options: ChartOptions, *, height: int, legend: bool) -> dict:
    axis = {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": "#c5ceda", "automargin": True}
    x_title = "wall time" if options.x == "time" else "step"
    return {
        # The card around the chart carries the metric's name as a heading; plotly's own
        # title would repeat it. meta keeps it for tests and tools reading the JSON.
        "meta": {"metric": plot_text(key)},
        "height": height,
        "margin": {"l": 50, "r": 12, "t": 28, "b": 40},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": FONT, "color": MUTED, "size": 12},
        "showlegend": legend,
        # Under the axis title whatever the tick labels take (they wrap on a phone).
        "legend": {
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "x": 0,
            "font": {"size": 11},
        },
        "hovermode": "x unified",
        "xaxis": {
            **axis,
            "title": {"text": x_title, "standoff": 6},
            "nticks": 7,
            "tickangle": 0,
            "type": "date" if options.x == "time" else "linear",
        },
        "yaxis": {**axis, "type": "log" if options.log else "linear"},
        "modebar": {"bgcolor": "rgba(255,255,255,0.85)", "color": MUTED, "activecolor": INK},
    }


# --- Summaries ---------------------------------------------------------------------------------


def is_summary(runs: list[SeriesData]) -> bool:
    """True when no run has more than one point of the metric (a runs-table export: one value
    per run and metric), which a line chart cannot show."""
    return bool(runs) and all(np.count_nonzero(np.isfinite(r.values)) <= 1 for r in runs)


def _last_finite(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else None


def group_param(runs: list[SeriesData]) -> str:
    """The param to colour a summary chart by: one whose value differs among the runs but is
    shared by some (a model or a setting, not a seed); "" when none does."""
    from .labels import _seedish

    keys = sorted({k for r in runs for k in r.params})
    best, best_count = "", 0
    for key in keys:
        values = {str(r.params.get(key, "")) for r in runs}
        groups = 1 < len(values) < len(runs) and not _seedish(key)
        if groups and (not best or len(values) < best_count):
            best, best_count = key, len(values)
    return best


TICK_LABEL = 26


def _middle(name: str, limit: int = TICK_LABEL) -> str:
    """A long name shortened in its middle: "A1_no_pos_enc…ng · seed 3"."""
    if len(name) <= limit:
        return name
    tail = limit // 2 - 1
    return f"{name[: limit - tail - 1]}…{name[-tail:]}"


def summary_figure(
    key: str,
    runs: list[SeriesData],
    *,
    target: Target | None = None,
    height: int = 320,
    log: bool = False,
) -> dict:
    """A dot chart of each run's value of one metric (one row per run), coloured by the param
    that varies among them: what fits runs that hold one value per metric."""
    by = group_param(runs)
    rows = [(r, _last_finite(r.values)) for r in runs]
    rows = [(r, v) for r, v in rows if v is not None]
    groups: dict[str, list] = {}
    for run, value in rows:
        label = str(run.params.get(by, "(none)")) if by else ""
        groups.setdefault(label, []).append((run, value))
    data = []
    for n, (label, members) in enumerate(sorted(groups.items())):
        members.sort(key=lambda item: item[1])
        color = PALETTE[n % len(PALETTE)]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": plot_text(f"{by}={label}" if by else key),
                "x": [value for _, value in members],
                "y": [plot_text(run.name) for run, _ in members],
                "marker": {"color": color, "size": 10, "line": {"color": "#ffffff", "width": 1}},
                "hovertemplate": "%{y}: %{x:.4g}<extra></extra>",
            }
        )
    count = sum(len(members) for members in groups.values())
    labels = [plot_text(run.name) for members in groups.values() for run, _ in members]
    layout = _layout(
        key, ChartOptions(log=log), height=max(height, 90 + 26 * count), legend=bool(by)
    )
    value_axis = {**layout["yaxis"], "title": {"text": plot_text(key), "standoff": 6}}
    layout["xaxis"] = {**value_axis, "tickangle": 0}
    layout["yaxis"] = {
        **{k: v for k, v in layout["xaxis"].items() if k in ("gridcolor", "linecolor")},
        "type": "category",
        "automargin": True,
        "autorange": "reversed",
        "zeroline": False,
        # Long names shortened in the middle, so the seed at their end still shows; the
        # whole name is in the hover text.
        "tickmode": "array",
        "tickvals": labels,
        "ticktext": [plot_text(_middle(run.name)) for m in groups.values() for run, _ in m],
    }
    layout["xaxis"]["nticks"] = 4
    layout["hovermode"] = "closest"
    layout["margin"] = {**layout["margin"], "l": 12}
    target_name = ""
    if target is not None and data:
        target_name = target.label
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": target.value,
                "x1": target.value,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#2a7d4f", "dash": "dash", "width": 1.5},
            }
        ]
    left_out = len(runs) - count
    note = f"one value per run; {left_out} without a value left out" if left_out else ""
    return {
        "data": data,
        "layout": layout,
        "note": note or "one value per run",
        "points": count,
        "target": target_name,
        "summary": True,
    }
