"""Figures of the compare and statistics pages, from plain values: runs as dots against a param,
parallel coordinates drawn as lines, and groups of runs with their means and intervals."""

from __future__ import annotations

import json

import plotly.graph_objects as go

from . import stats
from .chart_theme import ACCENT, ACCENT_2, RULE, go_figure, plot_text
from .metrics import LOWER


def _figure(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def scatter(
    *, labels: list[str], axis: list, numeric: bool, values: list[float], x_title: str, y_title: str
) -> dict:
    """A dot per run: its value of a param (axis) against its value of a metric."""
    fig = go_figure(
        height=340,
        margin={"l": 60, "r": 20, "t": 20, "b": 60},
        xaxis={
            "title": {"text": plot_text(x_title)},
            "type": "linear" if numeric else "category",
        },
        yaxis={"title": {"text": plot_text(y_title)}},
    )
    fig.add_trace(
        go.Scatter(
            x=axis,
            y=values,
            text=[plot_text(label) for label in labels],
            mode="markers",
            marker={"size": 10, "color": ACCENT},
            hovertemplate="%{text}<br>%{x}: %{y}<extra></extra>",
        )
    )
    return _figure(fig)


def parcoords(
    *,
    labels: list[str],
    axes: list[tuple[str, list, bool]],
    metric: str,
    values: list[float],
    direction: str,
) -> dict:
    """Parallel coordinates drawn as SVG lines (plotly's Parcoords needs WebGL and writes inline
    styles, which the strict CSP blocks): each axis (title, values, numeric) is scaled to 0-1 and
    labelled at both ends, the metric's axis last."""
    scaled = []  # (title, scaled values, low label, high label)
    for title, axis, numeric in axes:
        ends = None
        if not numeric:
            categories = sorted(set(axis))
            axis = [categories.index(v) for v in axis]
            ends = (categories[0], categories[-1])
        scaled.append((plot_text(title), *_scaled(axis, ends)))
    label = plot_text(metric)
    scaled.append((label, *_scaled(values, None)))
    low, high = min(values, default=0), max(values, default=0)
    fig = go_figure(
        height=360,
        margin={"l": 30, "r": 30, "t": 30, "b": 60},
        showlegend=False,
        xaxis={
            "tickvals": list(range(len(scaled))),
            "ticktext": [axis[0] for axis in scaled],
            "range": [-0.3, len(scaled) - 0.7],
        },
        yaxis={"visible": False, "range": [-0.12, 1.12]},
        annotations=[
            item
            for x, (_, _, bottom, top) in enumerate(scaled)
            for item in (
                {"x": x, "y": -0.08, "text": bottom, "showarrow": False, "font": {"size": 10}},
                {"x": x, "y": 1.08, "text": top, "showarrow": False, "font": {"size": 10}},
            )
        ],
    )
    for i, run in enumerate(labels):
        # Better runs in the accent-2 colour whichever way the metric points.
        share = 0.5 if high == low else (values[i] - low) / (high - low)
        good = 1 - share if direction == LOWER else share
        fig.add_trace(
            go.Scatter(
                x=list(range(len(scaled))),
                y=[axis[1][i] for axis in scaled],
                mode="lines+markers",
                name=plot_text(run),
                line={"color": ACCENT_2 if good >= 0.5 else ACCENT, "width": 1 + 2 * good},
                customdata=[[plot_text(run)]] * len(scaled),
                hovertemplate="%{customdata[0]}<br>%{meta}: " + f"{values[i]:.4g}<extra></extra>",
                meta=label,
            )
        )
    return _figure(fig)


def _scaled(axis: list, ends) -> tuple[list, str, str]:
    """Values scaled to 0-1, with the labels of the axis' two ends."""
    low, high = min(axis, default=0), max(axis, default=0)
    span = high - low
    scaled = [0.5 if span == 0 else (v - low) / span for v in axis]
    if ends is None:
        ends = (f"{low:.4g}", f"{high:.4g}")
    return scaled, str(ends[0]), str(ends[1])


def groups(groups: list[stats.GroupSummary], *, y_title: str) -> dict:
    """Each run's value as a point per group, with the group's mean and 95% interval."""
    fig = go_figure(
        height=360,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend={"y": 1.08},
        yaxis={"title": {"text": plot_text(y_title)}},
        xaxis={"type": "category"},
    )
    for group in groups:
        fig.add_trace(
            go.Box(
                y=list(group.values),
                name=plot_text(group.label),
                boxpoints="all",
                jitter=0.35,
                pointpos=0,
                marker={"color": ACCENT, "size": 8, "opacity": 0.75},
                line={"color": RULE, "width": 1},
                fillcolor="rgba(0,0,0,0)",
                showlegend=False,
                hoverinfo="y",
            )
        )
    with_mean = [g for g in groups if g.mean is not None]
    above = [(g.ci_high - g.mean) if g.ci_high is not None else 0 for g in with_mean]
    below = [(g.mean - g.ci_low) if g.ci_low is not None else 0 for g in with_mean]
    fig.add_trace(
        go.Scatter(
            x=[plot_text(g.label) for g in with_mean],
            y=[g.mean for g in with_mean],
            mode="markers",
            name="mean and 95% CI",
            marker={"symbol": "diamond", "size": 12, "color": ACCENT_2},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": above,
                "arrayminus": below,
                "color": ACCENT_2,
                "thickness": 2,
                "width": 8,
            },
        )
    )
    return _figure(fig)
