"""One look for every chart (projects/chart_theme.py): the project's metric charts, the compare
and statistics charts, the plan's charts and the preview images all start from its layout."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from milestones import best_so_far, charts
from milestones.quarters import Quarter
from portfolio.public import previews
from projects import chart_theme, compare_figures, stats
from projects.charts import SeriesData, metric_figure
from projects.summary_charts import summary_figure
from tests.factories import create_project, import_results, long_csv, save_revision

ROOT = Path(__file__).resolve().parents[2]
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def _curve(name: str) -> SeriesData:
    return SeriesData(name, np.arange(5), np.linspace(1.0, 0.2, 5))


def _page_figures() -> dict[str, dict]:
    group = stats.describe("a", [0.1, 0.2, 0.3])
    return {
        "metric": metric_figure("val/loss", [_curve("a"), _curve("b")]),
        "summary": summary_figure("acc", [SeriesData("a", np.arange(1), np.array([0.9]))]),
        "scatter": compare_figures.scatter(
            labels=["a"], axis=[1], numeric=True, values=[0.5], x_title="lr", y_title="acc"
        ),
        "parcoords": compare_figures.parcoords(
            labels=["a", "b"],
            axes=[("lr", [1, 2], True)],
            metric="acc",
            values=[0.5, 0.6],
            direction="higher",
        ),
        "groups": compare_figures.groups([group], y_title="acc"),
    }


@pytest.mark.parametrize("name", list(_page_figures()))
def test_every_chart_of_a_project_page_has_cairns_look(name):
    layout = _page_figures()[name]["layout"]

    assert layout["font"]["family"] == chart_theme.FONT
    assert layout["paper_bgcolor"] == chart_theme.PAPER
    assert layout["colorway"] == list(chart_theme.PALETTE)
    assert layout["xaxis"]["gridcolor"] == chart_theme.GRID
    assert not layout.get("template", {}).get("layout")  # no plotly template under it


@pytest.mark.django_db
def test_the_plan_charts_have_the_same_look_and_carry_no_plotly_template(alice):
    project = create_project(owner=alice)
    import_results(project, ("a.csv", long_csv({("r", "accuracy"): [0.5, 0.8]})))
    save_revision(project, success_metric="accuracy", success_target=0.9)
    (series,), _ = best_so_far.best_so_far_for(owner=alice)
    figures = [
        charts.burnup_figure(charts.burnup_for(owner=alice, quarter=Quarter(2026, 4))),
        best_so_far.best_so_far_figure(series),
    ]

    for figure in figures:
        go.Figure(figure)  # valid plotly
        assert figure["layout"]["font"]["family"] == chart_theme.FONT
        assert figure["layout"]["colorway"] == list(chart_theme.PALETTE)
        assert "template" not in figure["layout"]
    assert figures[1]["data"][0]["line"]["color"] == chart_theme.ACCENT


@pytest.mark.django_db
def test_a_preview_image_uses_the_palette_with_the_image_font(alice):
    project = create_project(owner=alice, visibility="public")
    import_results(project, ("a.csv", long_csv({("r", "accuracy"): [0.5, 0.8]})))

    fig = previews.project_figure(project, alice.profile)

    assert fig.layout.font.family == chart_theme.IMAGE_FONT
    assert fig.layout.paper_bgcolor == chart_theme.PAPER
    points, best = fig.data
    assert (points.marker.color, best.line.color) == (chart_theme.ACCENT, chart_theme.ACCENT_2)


def test_names_reach_every_figure_as_text_not_html():
    fig = compare_figures.groups([stats.describe("<b>x</b>", [0.1, 0.2])], y_title="<i>m</i>")

    assert fig["data"][0]["name"] == "&lt;b&gt;x&lt;/b&gt;"
    assert fig["layout"]["yaxis"]["title"]["text"] == "&lt;i&gt;m&lt;/i&gt;"


def test_no_module_but_the_theme_writes_a_colour():
    """A colour written anywhere else is a second palette: take it from chart_theme."""
    found = []
    for folder in ("projects", "milestones", "portfolio", "tracking", "outbox"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "chart_theme.py" or "migrations" in path.parts:
                continue
            for n, line in enumerate(path.read_text().splitlines(), start=1):
                if HEX.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}")
    assert found == []


def test_the_plan_layout_keeps_the_theme_and_takes_its_own_margins():
    layout = charts.plan_layout(height=200, xaxis={"fixedrange": True})

    assert layout["margin"]["l"] == 44
    assert layout["xaxis"]["fixedrange"] is True
    assert layout["xaxis"]["gridcolor"] == chart_theme.GRID
    assert layout["height"] == 200
