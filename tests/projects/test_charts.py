"""Figures of metrics: downsampling, smoothing, gaps, restarts, the target line and zooming."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from projects.charts import (
    MAX_POINTS,
    ChartOptions,
    SeriesData,
    Target,
    Window,
    downsample,
    ema,
    metric_figure,
    metric_traces,
)


def _spiky(n: int = 200_000, seed: int = 7):
    """A noisy wave with spikes and dips planted at known places."""
    rng = np.random.default_rng(seed)
    values = np.sin(np.arange(n) / 5000) + rng.normal(0, 0.05, n)
    spikes = rng.choice(n, 40, replace=False)
    values[spikes[:20]] = 5 + np.arange(20) / 10  # spikes well above the wave
    values[spikes[20:]] = -5 - np.arange(20) / 10  # dips well below it
    return np.arange(n), values, spikes


def test_downsampling_keeps_the_global_min_and_max_and_every_spike():
    steps, values, spikes = _spiky()

    shown_steps, shown_values = downsample(steps, values)

    assert len(shown_steps) <= MAX_POINTS
    assert shown_values.max() == values.max()
    assert shown_values.min() == values.min()
    assert set(spikes.tolist()) <= set(shown_steps.tolist())
    assert (shown_steps[0], shown_steps[-1]) == (0, len(steps) - 1)
    assert (np.diff(shown_steps) > 0).all()  # still in step order


def test_downsampling_leaves_a_short_series_alone():
    steps, values = np.arange(500), np.linspace(0, 1, 500)

    shown_steps, shown_values = downsample(steps, values)

    assert shown_steps.tolist() == steps.tolist()
    assert shown_values.tolist() == values.tolist()


def test_a_downsampled_figure_says_from_how_many_points_and_stays_under_the_cap():
    steps, values, _ = _spiky(n=50_000)

    figure = metric_figure("loss", [SeriesData("run-a", steps, values)])

    (trace,) = figure["data"]
    assert len(trace["x"]) <= MAX_POINTS
    assert max(trace["y"]) == values.max()
    assert figure["note"] == "run-a: downsampled from 50,000 points"
    assert figure["points"] == len(trace["x"])


def test_ema_matches_the_textbook_recurrence():
    values = np.array([1.0, 3.0, 2.0, 8.0, 4.0, 4.5, 0.0])
    weight = 0.6
    expected, last = [], None
    for v in values:
        last = v if last is None else weight * last + (1 - weight) * v
        expected.append(last)

    assert ema(values, weight) == pytest.approx(expected)


def test_ema_skips_gaps_keeps_them_and_starts_again_after_a_restart():
    values = np.array([1.0, np.nan, 3.0, 10.0, 20.0])
    steps = np.array([0, 1, 2, 0, 1])  # resumed from step 0 after step 2

    smoothed = ema(values, 0.5, steps)

    assert np.isnan(smoothed[1])
    assert smoothed[2] == pytest.approx(0.5 * 1.0 + 0.5 * 3.0)
    assert smoothed[3] == 10.0  # a new curve, not the tail of the old one
    assert smoothed[4] == pytest.approx(15.0)


def test_smoothing_draws_a_solid_line_over_a_faint_raw_one():
    steps = np.arange(6)
    values = np.array([1.0, 3.0, 2.0, 8.0, 4.0, 4.5])

    figure = metric_figure("loss", [SeriesData("a", steps, values)], ChartOptions(smooth=0.6))

    raw, smooth = figure["data"]
    assert raw["opacity"] < 0.5 and raw["showlegend"] is False
    assert "opacity" not in smooth
    assert raw["line"]["color"] == smooth["line"]["color"]
    assert raw["y"] == values.tolist()
    assert smooth["y"] == pytest.approx(ema(values, 0.6).tolist())


def test_nan_is_a_gap_in_the_figure():
    values = np.array([1.0, 0.5, np.nan, 0.2])

    figure = metric_figure("loss", [SeriesData("a", np.arange(4), values)])

    (trace,) = figure["data"]
    assert trace["y"] == [1.0, 0.5, None, 0.2]
    assert trace["connectgaps"] is False


def test_a_gap_in_a_long_series_survives_downsampling():
    values = np.linspace(1, 0, 100_000)
    values[40_000:40_050] = np.nan

    (trace,) = metric_figure("loss", [SeriesData("a", np.arange(100_000), values)])["data"]

    assert len(trace["y"]) <= MAX_POINTS
    assert None in trace["y"]
    gap = trace["y"].index(None)
    assert 40_000 <= trace["x"][gap] < 40_050


def test_steps_that_go_backwards_break_the_line():
    steps = np.array([0, 1, 2, 3, 2, 3, 4])  # resumed from a checkpoint at step 2
    values = np.array([1.0, 0.9, 0.8, 0.7, 0.75, 0.65, 0.6])

    (trace,) = metric_figure("loss", [SeriesData("a", steps, values)])["data"]

    assert trace["y"] == [1.0, 0.9, 0.8, 0.7, None, 0.75, 0.65, 0.6]
    # No segment of the line runs backwards: each piece between gaps goes forward.
    pieces = [[]]
    for x, y in zip(trace["x"], trace["y"], strict=True):
        if y is None:
            pieces.append([])
        else:
            pieces[-1].append(x)
    assert [p == sorted(p) for p in pieces] == [True, True]


def test_a_restart_in_a_long_series_still_breaks_the_line():
    steps = np.concatenate([np.arange(60_000), np.arange(30_000, 90_000)])
    values = np.linspace(1, 0, steps.size)

    (trace,) = metric_figure("loss", [SeriesData("a", steps, values)])["data"]

    assert trace["y"].count(None) == 1
    gap = trace["y"].index(None)
    assert trace["x"][gap - 1] == 59_999 and trace["x"][gap + 1] == 30_000


def test_the_target_is_a_dashed_line_across_the_chart():
    steps = np.arange(10, 110)
    figure = metric_figure(
        "val_acc",
        [SeriesData("a", steps, np.linspace(0.5, 0.9, 100))],
        target=Target(0.85, "higher"),
    )

    _run, target = figure["data"]
    assert target["line"]["dash"] == "dash"
    assert target["y"] == [0.85, 0.85]
    assert target["x"] == [10.0, 109.0]
    assert target["name"] == "target ≥ 0.85"
    assert figure["target"] == "target ≥ 0.85"


def test_there_is_no_target_line_without_a_target():
    figure = metric_figure("val_acc", [SeriesData("a", np.arange(5), np.ones(5))])

    assert [t.get("meta") for t in figure["data"]] == [None]
    assert figure["target"] == ""


def test_several_runs_are_overlaid_in_their_own_colours_with_a_legend():
    runs = [SeriesData(f"seed-{i}", np.arange(5), np.arange(5) * i * 1.0) for i in range(3)]

    figure = metric_figure("loss", runs)

    assert [t["name"] for t in figure["data"]] == ["seed-0", "seed-1", "seed-2"]
    assert len({t["line"]["color"] for t in figure["data"]}) == 3
    assert figure["layout"]["showlegend"] is True


def test_log_scale_and_wall_time_axes():
    series = SeriesData(
        "a", np.arange(3), np.array([1.0, 0.1, 0.01]), wall_times=np.array([0.0, 1.5, 3600.0])
    )

    figure = metric_figure("loss", [series], ChartOptions(x="time", log=True))

    assert figure["layout"]["yaxis"]["type"] == "log"
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert figure["data"][0]["x"] == [
        "1970-01-01T00:00:00.000",
        "1970-01-01T00:00:01.500",
        "1970-01-01T01:00:00.000",
    ]


def test_a_run_without_wall_times_is_left_out_of_a_wall_time_chart_with_a_note():
    figure = metric_figure(
        "loss", [SeriesData("a", np.arange(3), np.ones(3))], ChartOptions("time")
    )

    assert figure["data"] == []
    assert figure["note"] == "a: no wall times in the file"


def test_a_zoomed_window_comes_at_full_resolution():
    steps, values, _ = _spiky(n=1_000_000)

    built = metric_traces(
        [SeriesData("a", steps, values)], ChartOptions(), window=Window(500_000, 501_000)
    )

    (trace,) = built.figure["data"]
    # Every point of the window, and one on each side so the line reaches the edges.
    assert trace["x"] == list(range(499_999, 501_002))
    assert built.notes == []


def test_a_wide_zoomed_window_is_downsampled_to_the_same_cap():
    steps, values, spikes = _spiky(n=1_000_000)

    built = metric_traces(
        [SeriesData("a", steps, values)], ChartOptions(), window=Window(100_000, 600_000)
    )

    (trace,) = built.figure["data"]
    assert len(trace["x"]) <= MAX_POINTS
    inside = [s for s in spikes.tolist() if 100_000 <= s <= 600_000]
    assert set(inside) <= set(trace["x"])
    assert built.notes == ["a: downsampled from 500,003 points"]


def test_the_figure_is_a_valid_plotly_figure():
    steps, values, _ = _spiky(n=10_000)
    figure = metric_figure(
        "loss",
        [SeriesData("a", steps, values), SeriesData("b", steps, values / 2)],
        ChartOptions(smooth=0.9, log=True),
        target=Target(0.5, "lower"),
    )

    go.Figure({"data": figure["data"], "layout": figure["layout"]})  # raises when invalid


def test_the_prebuilt_plotly_styles_match_the_vendored_bundle_and_style_the_mode_bar():
    """plotly.js may not inject its styles under the CSP: plotly.css must hold them all."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "build_plotly_css.py"
    spec = importlib.util.spec_from_file_location("build_plotly_css", script)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)

    for path, text in build.outputs().items():
        assert path.read_text() == text, f"run scripts/build_plotly_css.py to refresh {path.name}"
    css = build.TARGET.read_text()
    assert ".js-plotly-plot .plotly .modebar {position:absolute;" in css
    assert ".js-plotly-plot .plotly .modebar-btn {" in css
    assert "plotly.js-style-global" in build.GUARDS.read_text()


# The trace types of static/vendor/plotly-cartesian.min.js (its package's README).
BUNDLE_TRACES = {
    "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
    "image", "pie", "scatter", "scatterternary", "violin",
}  # fmt: skip


def test_every_trace_type_the_code_draws_is_in_the_vendored_plotly_bundle():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    used = set()
    for path in [*root.glob("projects/**/*.py"), *root.glob("milestones/**/*.py"),
                 *root.glob("portfolio/**/*.py")]:  # fmt: skip
        text = path.read_text()
        used |= {name.lower() for name in re.findall(r"\bgo\.([A-Z]\w+)\(", text)}
        used |= set(re.findall(r"_trace\(\s*\"(\w+)\"", text))
        used |= set(
            re.findall(r"\"type\": \"(scatter\w*|bar\w*|box|heatmap\w*|histogram\w*)\"", text)
        )
    used -= {"figure"}

    assert {"scatter", "bar", "box"} <= used
    assert used <= BUNDLE_TRACES, f"add a bundle with {used - BUNDLE_TRACES} (static/vendor)"


def test_the_vendored_plotly_bundle_matches_the_major_version_the_plotly_package_expects():
    import re
    from pathlib import Path

    from plotly.offline import get_plotlyjs_version

    bundle = Path(__file__).resolve().parents[2] / "static/vendor/plotly-cartesian.min.js"
    vendored = re.search(r"plotly\.js \(cartesian - minified\) v(\d+)\.", bundle.read_text()[:300])

    assert vendored and vendored.group(1) == get_plotlyjs_version().split(".")[0]
