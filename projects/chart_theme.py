"""Cairn's one look for charts: the palette, the fonts, and the layout every figure starts from.

Every figure (a project's metric charts, the statistics and comparison charts, the plan's
charts, the preview images) is built from `layout()`: the same white paper, ink, grid, font
and colour order. Figures sent to a page are plain dicts (validating a go.Figure costs about
100 ms a figure); `go_figure()` gives the same look as a go.Figure where plotly must render
(the preview images through kaleido).

plotly reads a subset of HTML in every text it draws, so every name from a user goes through
`plot_text()` on its way into a figure.
"""

from __future__ import annotations

import html
import json

INK = "#1d2733"
MUTED = "#5d6b7a"
GRID = "#eef1f5"
AXIS_LINE = "#c5ceda"
RULE = "#9aa8b8"  # thin outlines (box plots)
PAPER = "#ffffff"
TINT = "#f5f7fa"  # a plot area set apart from its card (preview images)
TINT_GRID = "#e3e8ef"  # a grid that still shows on TINT
ACCENT = "#3d5a80"
ACCENT_2 = "#ee6c4d"
OK = "#2a7d4f"  # targets
# Colours a run keeps across its raw and smoothed lines: Cairn's accent and accent-2 first,
# then hues far enough apart to tell ten runs apart on white.
PALETTE = (
    ACCENT, ACCENT_2, "#2a9d8f", "#9b5de5", "#e9a03b", "#6c757d", "#d62976",
    "#1b998b", "#8d6e63", "#4361ee",
)  # fmt: skip
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
# Preview images are drawn by a headless Chromium with only the machine's fonts.
IMAGE_FONT = "DejaVu Sans, Arial, sans-serif"
TARGET_LINE = {"color": OK, "dash": "dash", "width": 1.5}


def plot_text(text) -> str:
    """A name as plotly text: plotly reads a subset of HTML in every text it draws (trace names,
    axis titles, hover text, tick labels, annotations), so a run called `<a href=…>` would
    become a live link and `<b>` an inline style. Escaped, it is drawn as typed."""
    return html.escape(str(text), quote=False)


def colour(n: int) -> str:
    """The n-th colour of the palette, round again after the last."""
    return PALETTE[n % len(PALETTE)]


def axis(**extra) -> dict:
    """An axis in Cairn's look: light grid, a grey line, room for its labels."""
    return {
        "gridcolor": GRID,
        "zerolinecolor": GRID,
        "linecolor": AXIS_LINE,
        "automargin": True,
        **extra,
    }


def layout(**extra) -> dict:
    """A figure layout in Cairn's look; `extra` overrides or adds (axes are merged with
    `axis()`, the font with the default font)."""
    base = {
        "paper_bgcolor": PAPER,
        "plot_bgcolor": PAPER,
        "font": {"family": FONT, "color": MUTED, "size": 12},
        "colorway": list(PALETTE),
        "margin": {"l": 50, "r": 12, "t": 28, "b": 40},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "font": {"size": 11}},
        "hovermode": "closest",
        "modebar": {"bgcolor": "rgba(255,255,255,0.85)", "color": MUTED, "activecolor": INK},
    }
    for name in ("xaxis", "yaxis"):
        base[name] = {**axis(), **extra.pop(name, {})}
    for name in ("font", "legend"):
        if name in extra:
            base[name] = {**base[name], **extra.pop(name)}
    return {**base, **extra}


def figure(data: list[dict], **layout_extra) -> dict:
    """A plain-dict figure: the traces and a layout from `layout()`."""
    return {"data": data, "layout": layout(**layout_extra)}


def trace(kind: str, **attributes) -> dict:
    """A plain-dict trace of a kind ("scatter", "heatmap"...)."""
    return {"type": kind, **attributes}


def json_ready(fig: dict) -> dict:
    """A plain-dict figure with dates and decimals as JSON values (ISO strings, numbers)."""
    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(fig, cls=DjangoJSONEncoder))


def go_figure(**layout_extra):
    """A go.Figure with a layout from `layout()`, for figures plotly itself renders. Its
    template is plotly's empty one: plotly's default would lay its own colours under ours."""
    import plotly.graph_objects as go

    return go.Figure(layout=layout(template="none", **layout_extra))
