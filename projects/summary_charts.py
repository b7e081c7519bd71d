"""The chart of a metric that runs hold one value of (a runs-table export): a dot per run,
coloured by the param that groups them, since a line chart cannot show one point a run."""

from __future__ import annotations

import numpy as np

from .chart_theme import PAPER, TARGET_LINE, colour, plot_text
from .charts import ChartOptions, SeriesData, Target, metric_layout


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
        color = colour(n)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": plot_text(f"{by}={label}" if by else key),
                "x": [value for _, value in members],
                "y": [plot_text(run.name) for run, _ in members],
                "marker": {"color": color, "size": 10, "line": {"color": PAPER, "width": 1}},
                "hovertemplate": "%{y}: %{x:.4g}<extra></extra>",
            }
        )
    count = sum(len(members) for members in groups.values())
    labels = [plot_text(run.name) for members in groups.values() for run, _ in members]
    layout = metric_layout(
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
                "line": TARGET_LINE,
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
