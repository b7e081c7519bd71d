"""Reads and figures for comparing runs side by side and for statistics over groups of runs.

Everything here works from the runs' params, tags and summaries (never their points): a project
holds thousands of runs at most, and the summaries are small JSON.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field

import plotly.graph_objects as go

from . import stats
from .charts import plot_text
from .labels import run_labels
from .metrics import (
    DIRECTIONS,
    LOWER,
    SET_BY_OWNER,
    best_of,
    better_phrase,
    direction_and_reason,
    metric_direction,
    run_value,
)
from .models import Project, Run

MAX_COMPARED = 40
MAX_PAIRS = 10
NAME_KEY = "name"
# "baseline-seed3", "augment_s2", "lr0.1-run-4" → "baseline", "augment", "lr0.1"
_SEED_SUFFIX = re.compile(r"[-_. ]*(?:seed|s|rep|trial|run|r)?[-_=]?\d+$", re.IGNORECASE)
WHICH = {"last": "final value", "best": "best value"}
CHARTS = {"scatter": "Scatter", "parcoords": "Parallel coordinates"}
ACCENT, ACCENT_2 = "#3d5a80", "#ee6c4d"


class ChoiceError(ValueError):
    """A choice in the query string that this project's runs cannot answer; says why."""


def _rows(project: Project) -> list[dict]:
    """The project's runs, each with its distinct label (labels.py) beside its name."""
    rows = list(
        Run.objects.filter(project=project)
        .order_by("name", "id")
        .values("id", "name", "params", "tags", "summary", "started_at")
    )
    labels = run_labels(rows)
    for row in rows:
        row["label"] = labels[row["id"]]
    return rows


def _figure(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def metric_value(row: dict, metric: str, which: str, direction: str) -> float | None:
    """A run row's final ("last") or best value of a metric (metrics.run_value)."""
    return run_value(row.get("summary"), metric, which, direction)


def name_stem(name: str) -> str:
    """A run's name without its trailing seed or repeat number."""
    return _SEED_SUFFIX.sub("", name) or name


# --- Direction ---------------------------------------------------------------------------------


def metric_direction_set(*, project: Project, metric: str, direction: str) -> None:
    """Record the owner's direction for a metric ("" goes back to the record's or the name's)."""
    chosen = dict(project.metric_directions or {})
    # What applies without the owner's word: the record's success direction or the name's.
    default, _ = direction_and_reason(metric, revision=project.current_revision)
    if direction in DIRECTIONS and direction != default:
        chosen[metric] = direction
    else:
        chosen.pop(metric, None)
    project.metric_directions = chosen
    project.save(update_fields=["metric_directions", "updated_at"])


# --- Comparison --------------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    best: bool = False


@dataclass
class CompareRow:
    label: str
    kind: str  # "param", "tag", "last" or "best"
    cells: list[Cell]
    differs: bool
    direction: str = ""


@dataclass
class ComparePage:
    runs: list[dict]  # every run of the project, for the checklist
    chosen: list[dict]
    rows: list[CompareRow]
    metrics: list[str]
    params: list[str]
    metric: str
    which: str
    chart: str
    x: str
    figure: dict | None
    note: str = ""
    capped: int = 0
    error: str = ""


def parse_run_ids(values: list[str]) -> list[int]:
    """Run ids from ?runs=1,2,3 and ?run=1&run=2; anything else is a ChoiceError."""
    ids = []
    for value in values:
        for part in value.replace(" ", ",").split(","):
            if not part:
                continue
            if not part.isdigit() or len(part) > 12:
                raise ChoiceError(f"“{part[:40]}” is not a run number: runs are given as 1,2,3.")
            ids.append(int(part))
    return list(dict.fromkeys(ids))


def parse_where(where: str) -> list[tuple[str, str]]:
    """Filters such as "model=augment lr=0.1" as (key, value) pairs."""
    pairs = []
    for part in where.replace(",", " ").split():
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ChoiceError(
                f"“{part[:60]}” is not a filter: write param=value or tag=value, "
                "for example model=augment."
            )
        pairs.append((key, value))
    return pairs


def _matches(row: dict, pairs: list[tuple[str, str]]) -> bool:
    for key, value in pairs:
        found = [str(d[key]) for d in (row["params"] or {}, row["tags"] or {}) if key in d]
        if value not in found:
            return False
    return True


def _same(values: list) -> bool:
    return len({json.dumps(v, sort_keys=True, default=str) for v in values}) <= 1


def runs_comparison(
    *,
    project: Project,
    run_ids: list[int],
    where: str = "",
    metric: str = "",
    which: str = "last",
    chart: str = "",
    x: str = "",
) -> ComparePage:
    """The chosen runs side by side: params, tags, final and best metrics, and one chart.

    A choice the runs cannot answer comes back as page.error with nothing chosen.
    """
    rows = _rows(project)
    try:
        return _comparison(project, rows, run_ids, where, metric, which, chart, x)
    except ChoiceError as exc:
        empty = ComparePage(rows, [], [], [], [], "", "last", "", "", None, error=str(exc))
        return empty


def _comparison(project, rows, run_ids, where, metric, which, chart, x) -> ComparePage:
    if which not in WHICH:
        raise ChoiceError("Pick the final or the best value.")
    if chart and chart not in CHARTS:
        raise ChoiceError("Pick a parallel-coordinates or a scatter chart.")
    pairs = parse_where(where)
    known = {row["id"] for row in rows}
    if missing := [i for i in run_ids if i not in known]:
        raise ChoiceError(f"This project has no run number {missing[0]}.")
    chosen = [row for row in rows if (not run_ids or row["id"] in run_ids)]
    if pairs:
        chosen = [row for row in chosen if _matches(row, pairs)]
    elif not run_ids:
        chosen = []
    capped = max(0, len(chosen) - MAX_COMPARED)
    chosen = chosen[:MAX_COMPARED]
    metrics = sorted({key for row in chosen for key in (row["summary"] or {})})
    params = sorted({key for row in chosen for key in (row["params"] or {})})
    if metric and chosen and metric not in metrics:
        raise ChoiceError(f"None of the chosen runs has a metric called “{metric[:80]}”.")
    if x and chosen and x not in [*params, NAME_KEY]:
        raise ChoiceError(f"None of the chosen runs has a param called “{x[:80]}”.")
    metric = metric or (metrics[0] if metrics else "")
    page = ComparePage(
        runs=rows,
        chosen=chosen,
        rows=[],
        metrics=metrics,
        params=params,
        metric=metric,
        which=which,
        chart=chart,
        x=x,
        figure=None,
        capped=capped,
    )
    if not chosen:
        return page
    page.rows = _compare_rows(project, chosen, params, metrics)
    varying = [p for p in params if not _same([(r["params"] or {}).get(p) for r in chosen])]
    page.chart = chart or "scatter"
    page.x = x or (varying[0] if varying else (params[0] if params else NAME_KEY))
    if metric:
        direction = metric_direction(metric, project)
        if page.chart == "parcoords":
            page.figure, page.note = _parcoords(chosen, varying or params, metric, which, direction)
        else:
            page.figure, page.note = _scatter(chosen, page.x, metric, which, direction)
    return page


def _compare_rows(project, chosen, params, metrics) -> list[CompareRow]:
    out = _metric_rows(project, chosen, metrics)
    for key in params:
        values = [(r["params"] or {}).get(key) for r in chosen]
        cells = [Cell("" if v is None else str(v)) for v in values]
        out.append(CompareRow(key, "param", cells, not _same(values)))
    tags = sorted({k for r in chosen for k in (r["tags"] or {})})
    for key in tags:
        values = [(r["tags"] or {}).get(key) for r in chosen]
        if _same(values) and len(chosen) > 1:
            continue  # tags that every run shares (a user name, a state) are noise here
        cells = [Cell("" if v is None else str(v)) for v in values]
        out.append(CompareRow(key, "tag", cells, not _same(values)))
    return out


def _metric_rows(project, chosen, metrics) -> list[CompareRow]:
    out = []
    for key in metrics:
        direction = metric_direction(key, project)
        for which in ("last", "best"):
            values = [metric_value(r, key, which, direction) for r in chosen]
            present = [v for v in values if v is not None]
            best = best_of(present, direction)
            cells = [
                Cell(
                    "–" if v is None else stats.fmt(v, 5),
                    best=v is not None and v == best and len(present) > 1,
                )
                for v in values
            ]
            differs = len({round(v, 12) for v in present}) > 1 or len(present) != len(values)
            out.append(CompareRow(key, which, cells, differs, direction))
    return out


def _axis_values(chosen: list[dict], key: str) -> tuple[list, bool]:
    """A param's values for each run, and whether they all read as numbers."""
    if key == NAME_KEY:
        return [plot_text(r["label"]) for r in chosen], False
    raw = [(r["params"] or {}).get(key) for r in chosen]
    numbers = [_float(v) for v in raw]
    if all(n is not None for n in numbers):
        return numbers, True
    return [plot_text("(none)" if v is None else v) for v in raw], False


def _parcoords(chosen, params, metric, which, direction) -> tuple[dict, str]:
    """Parallel coordinates drawn as SVG lines (plotly's Parcoords needs WebGL and writes inline
    styles, which the strict CSP blocks): each axis is scaled to 0-1, labelled at both ends."""
    plotted = [r for r in chosen if metric_value(r, metric, which, direction) is not None]
    note = _left_out(len(chosen) - len(plotted), metric)
    values = [metric_value(r, metric, which, direction) for r in plotted]
    axes = []  # (label, scaled values, low label, high label)
    for key in params[:8]:
        axis, numeric = _axis_values(plotted, key)
        key = plot_text(key)
        if not numeric:
            categories = sorted(set(axis))
            axis = [categories.index(v) for v in axis]
            ends = (categories[0], categories[-1])
        else:
            ends = None
        axes.append((key, *_scaled(axis, ends)))
    label = plot_text(f"{metric} ({'best' if which == 'best' else 'final'})")
    axes.append((label, *_scaled(values, None)))
    low, high = min(values, default=0), max(values, default=0)
    fig = go.Figure()
    for i, run in enumerate(plotted):
        # Better runs in the accent-2 colour whichever way the metric points.
        share = 0.5 if high == low else (values[i] - low) / (high - low)
        good = 1 - share if direction == LOWER else share
        fig.add_trace(
            go.Scatter(
                x=list(range(len(axes))),
                y=[axis[1][i] for axis in axes],
                mode="lines+markers",
                name=plot_text(run["label"]),
                line={"color": ACCENT_2 if good >= 0.5 else ACCENT, "width": 1 + 2 * good},
                customdata=[[plot_text(run["label"])]] * len(axes),
                hovertemplate="%{customdata[0]}<br>%{meta}: " + f"{values[i]:.4g}<extra></extra>",
                meta=label,
            )
        )
    fig.update_layout(
        height=360,
        margin={"l": 30, "r": 30, "t": 30, "b": 60},
        template="plotly_white",
        showlegend=False,
        xaxis={
            "tickvals": list(range(len(axes))),
            "ticktext": [axis[0] for axis in axes],
            "range": [-0.3, len(axes) - 0.7],
        },
        yaxis={"visible": False, "range": [-0.12, 1.12]},
        annotations=[
            item
            for x, (_, _, bottom, top) in enumerate(axes)
            for item in (
                {"x": x, "y": -0.08, "text": bottom, "showarrow": False, "font": {"size": 10}},
                {"x": x, "y": 1.08, "text": top, "showarrow": False, "font": {"size": 10}},
            )
        ],
    )
    return _figure(fig), note


def _scaled(axis: list, ends) -> tuple[list, str, str]:
    """Values scaled to 0-1, with the labels of the axis' two ends."""
    low, high = min(axis, default=0), max(axis, default=0)
    span = high - low
    scaled = [0.5 if span == 0 else (v - low) / span for v in axis]
    if ends is None:
        ends = (f"{low:.4g}", f"{high:.4g}")
    return scaled, str(ends[0]), str(ends[1])


def _scatter(chosen, x, metric, which, direction) -> tuple[dict, str]:
    plotted = [r for r in chosen if metric_value(r, metric, which, direction) is not None]
    note = _left_out(len(chosen) - len(plotted), metric)
    axis, numeric = _axis_values(plotted, x)
    fig = go.Figure(
        go.Scatter(
            x=axis,
            y=[metric_value(r, metric, which, direction) for r in plotted],
            text=[plot_text(r["label"]) for r in plotted],
            mode="markers",
            marker={"size": 10, "color": ACCENT},
            hovertemplate="%{text}<br>%{x}: %{y}<extra></extra>",
        )
    )
    arrow = better_phrase(direction)
    fig.update_layout(
        height=340,
        margin={"l": 60, "r": 20, "t": 20, "b": 60},
        template="plotly_white",
        xaxis={
            "title": {"text": "run" if x == NAME_KEY else plot_text(x)},
            "type": "linear" if numeric else "category",
        },
        yaxis={"title": {"text": plot_text(f"{metric} ({which}, {arrow})")}},
    )
    return _figure(fig), note


def _left_out(count: int, metric: str) -> str:
    if not count:
        return ""
    return f"{count} chosen run{'s' if count != 1 else ''} without {metric} left out of the chart."


# --- Statistics --------------------------------------------------------------------------------


@dataclass
class GroupKey:
    key: str  # "param:model", "tag:baseline" or "name"
    label: str
    groups: int


@dataclass
class StatsPage:
    keys: list[GroupKey]
    metrics: list[str]
    key: str = ""
    metric: str = ""
    which: str = "last"
    direction: str = "higher"
    direction_chosen: bool = False
    direction_reason: str = ""
    groups: list[stats.GroupSummary] = field(default_factory=list)
    comparisons: list[stats.Comparison] = field(default_factory=list)
    a: str = ""
    b: str = ""
    without_key: int = 0
    without_metric: int = 0
    figure: dict | None = None
    pairs_capped: bool = False
    total_runs: int = 0
    error: str = ""


def _group_value(row: dict, key: str) -> str | None:
    if key == NAME_KEY:
        return name_stem(row["name"])
    kind, _, name = key.partition(":")
    source = row["params"] if kind == "param" else row["tags"]
    value = (source or {}).get(name)
    return None if value is None or value == "" else str(value)


def grouping_keys(rows: list[dict]) -> list[GroupKey]:
    """Params and tags that split the runs into groups of more than one run each, at least
    somewhere (a key with a different value on every run groups nothing)."""
    out = []
    candidates = [NAME_KEY]
    candidates += sorted({f"param:{k}" for r in rows for k in (r["params"] or {})})
    candidates += sorted({f"tag:{k}" for r in rows for k in (r["tags"] or {})})
    for key in candidates:
        values = [v for r in rows if (v := _group_value(r, key)) is not None]
        distinct = len(set(values))
        if 2 <= distinct < len(values):
            label = "run name without its number" if key == NAME_KEY else key.replace(":", " ", 1)
            out.append(GroupKey(key, label, distinct))
    return out


def project_statistics(
    *,
    project: Project,
    key: str = "",
    metric: str = "",
    which: str = "last",
    a: str = "",
    b: str = "",
) -> StatsPage:
    """Groups of the project's runs on one metric, with each pair compared."""
    rows = _rows(project)
    keys = grouping_keys(rows)
    metrics = sorted({m for r in rows for m in (r["summary"] or {})})
    page = StatsPage(keys=keys, metrics=metrics, which=which, total_runs=len(rows))
    try:
        _fill_statistics(page, project, rows, key=key, metric=metric, which=which, a=a, b=b)
    except ChoiceError as exc:
        page.error = str(exc)
        page.groups, page.comparisons, page.figure = [], [], None
    return page


def _fill_statistics(page, project, rows, *, key, metric, which, a, b) -> None:
    keys, metrics = page.keys, page.metrics
    if which not in WHICH:
        raise ChoiceError("Pick the final or the best value.")
    if key and key not in {k.key for k in keys}:
        raise ChoiceError(
            f"The runs cannot be grouped by “{key[:80]}”: pick a param or tag from the list."
        )
    if metric and metric not in metrics:
        raise ChoiceError(f"No run of this project has a metric called “{metric[:80]}”.")
    if not keys or not metrics:
        return
    page.key = key or keys[0].key
    page.metric = metric or _default_metric(project, rows, page.key, metrics)
    page.direction, page.direction_reason = direction_and_reason(page.metric, project)
    page.direction_chosen = page.direction_reason == SET_BY_OWNER
    grouped: dict[str, list[float | None]] = {}
    for row in rows:
        label = _group_value(row, page.key)
        if label is None:
            page.without_key += 1
            continue
        if page.metric not in (row["summary"] or {}):
            page.without_metric += 1
            continue
        grouped.setdefault(label, []).append(metric_value(row, page.metric, which, page.direction))
    page.groups = [stats.describe(label, values) for label, values in sorted(grouped.items())]
    labels = [g.label for g in page.groups]
    for name, chosen in (("a", a), ("b", b)):
        if chosen and chosen not in labels:
            raise ChoiceError(f"There is no group “{chosen[:80]}” with {page.metric}.")
        setattr(page, name, chosen)
    page.comparisons = _comparisons(page)
    if page.groups:
        page.figure = _groups_figure(page)


def _default_metric(project: Project, rows: list[dict], key: str, metrics: list[str]) -> str:
    """The metric with the most groups of two or more runs; the success metric on a tie."""
    revision = project.current_revision
    success = revision.success_metric if revision is not None else ""

    def score(metric: str) -> tuple[int, bool]:
        sizes: dict[str, int] = {}
        for row in rows:
            label = _group_value(row, key)
            if label is not None and metric in (row["summary"] or {}):
                sizes[label] = sizes.get(label, 0) + 1
        return sum(1 for n in sizes.values() if n >= 2), metric == success

    return max(metrics, key=score)


def _comparisons(page: StatsPage) -> list[stats.Comparison]:
    by_label = {g.label: g for g in page.groups}
    if page.a and page.b and page.a != page.b:
        pairs = [(by_label[page.a], by_label[page.b])]
    else:
        pairs = list(itertools.combinations(page.groups, 2))
        page.pairs_capped = len(pairs) > MAX_PAIRS
        pairs = pairs[:MAX_PAIRS]
    return [stats.compare(x, y, metric=page.metric, direction=page.direction) for x, y in pairs]


def _groups_figure(page: StatsPage) -> dict:
    """Each run's value as a point per group, with the group's mean and 95% interval."""
    fig = go.Figure()
    for group in page.groups:
        fig.add_trace(
            go.Box(
                y=list(group.values),
                name=plot_text(group.label),
                boxpoints="all",
                jitter=0.35,
                pointpos=0,
                marker={"color": ACCENT, "size": 8, "opacity": 0.75},
                line={"color": "#9aa8b8", "width": 1},
                fillcolor="rgba(0,0,0,0)",
                showlegend=False,
                hoverinfo="y",
            )
        )
    with_mean = [g for g in page.groups if g.mean is not None]
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
    arrow = better_phrase(page.direction)
    fig.update_layout(
        height=360,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        template="plotly_white",
        legend={"orientation": "h", "y": 1.08, "x": 0},
        yaxis={"title": {"text": plot_text(f"{page.metric} ({page.which}, {arrow})")}},
        xaxis={"type": "category"},
    )
    return _figure(fig)


def project_metric_names(project: Project) -> set[str]:
    """Every metric any run of the project has."""
    return {m for r in _rows(project) for m in (r["summary"] or {})}
