"""Comparing runs side by side: the chosen runs' params, tags, final and best metrics, and one
chart of them.

Everything here works from the runs' params, tags and summaries (never their points): a project
holds thousands of runs at most, and the summaries are small JSON.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from . import compare_figures, stats
from .chart_theme import plot_text
from .metrics import best_of, better_phrase, metric_direction, run_value
from .models import Project
from .selectors import run_rows
from .wording import plural

MAX_COMPARED = 40
NAME_KEY = "name"
# "baseline-seed3", "augment_s2", "lr0.1-run-4" → "baseline", "augment", "lr0.1"
_SEED_SUFFIX = re.compile(r"[-_. ]*(?:seed|s|rep|trial|run|r)?[-_=]?\d+$", re.IGNORECASE)


class ChoiceError(ValueError):
    """A choice in the query string that this project's runs cannot answer; says why."""


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


@dataclass
class Cell:
    text: str
    best: bool = False
    run: str = ""  # the run's label: a phone shows each value beside it, not under a column


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
    where: list[tuple[str, str]] = (),
    metric: str = "",
    which: str = "last",
    chart: str = "",
    x: str = "",
) -> ComparePage:
    """The chosen runs (by id, or those whose params or tags match every (key, value) of where)
    side by side: params, tags, final and best metrics, and one chart.

    A choice the runs cannot answer comes back as page.error with nothing chosen.
    """
    rows = run_rows(project=project)
    try:
        return _comparison(project, rows, run_ids, list(where), metric, which, chart, x)
    except ChoiceError as exc:
        return _refused(rows, str(exc))


def comparison_refused(*, project: Project, error: str) -> ComparePage:
    """The compare page with nothing chosen and the reason a query was refused."""
    return _refused(run_rows(project=project), error)


def _refused(rows: list[dict], error: str) -> ComparePage:
    return ComparePage(rows, [], [], [], [], "", "last", "", "", None, error=error)


def _comparison(project, rows, run_ids, pairs, metric, which, chart, x) -> ComparePage:
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
        page.figure, page.note = _chart(page, varying or params, direction)
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
    for row in out:
        for cell, run in zip(row.cells, chosen, strict=True):
            cell.run = run["label"]
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


def _chart(page: ComparePage, params: list[str], direction: str) -> tuple[dict, str]:
    """The page's chart of the chosen runs that have its metric, and a note on those left out."""
    metric, which = page.metric, page.which
    plotted = [r for r in page.chosen if metric_value(r, metric, which, direction) is not None]
    values = [metric_value(r, metric, which, direction) for r in plotted]
    labels = [r["label"] for r in plotted]
    note = _left_out(len(page.chosen) - len(plotted), metric)
    if page.chart == "parcoords":
        axes = [(key, *_axis_values(plotted, key)) for key in params[:8]]
        label = f"{metric} ({'best' if which == 'best' else 'final'})"
        figure = compare_figures.parcoords(
            labels=labels, axes=axes, metric=label, values=values, direction=direction
        )
        return figure, note
    axis, numeric = _axis_values(plotted, page.x)
    arrow = better_phrase(direction)
    figure = compare_figures.scatter(
        labels=labels,
        axis=axis,
        numeric=numeric,
        values=values,
        x_title="run" if page.x == NAME_KEY else page.x,
        y_title=f"{metric} ({which}, {arrow})",
    )
    return figure, note


def _left_out(count: int, metric: str) -> str:
    if not count:
        return ""
    return f"{plural(count, 'chosen run')} without {metric} left out of the chart."
