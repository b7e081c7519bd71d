"""Results that show (issue 12, deliver 4) and names that stay text (issue 14, item 7):
markers on short series, summary charts for runs-table projects, curves preferred by default,
same-named runs told apart everywhere, the runs table's varying columns, names escaped for
plotly."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from django.urls import reverse

from projects.chart_theme import plot_text
from projects.charts import ChartOptions, SeriesData, metric_figure
from projects.labels import RunInfo, run_labels
from projects.summary_charts import summary_figure
from tests.factories import (
    create_project,
    import_results,
    long_csv,
    mlflow_runs_csv,
    save_revision,
)

pytestmark = pytest.mark.django_db

EVIL = '<a href="https://evil.example/">x</a>'


def _figures(response) -> list[dict]:
    payloads = re.findall(
        r'<script id="figure-[a-z0-9-]+" type="application/json">(.*?)</script>',
        response.text,
        re.S,
    )
    return [json.loads(p) for p in payloads]


def _slots(response) -> list[dict]:
    urls = re.findall(r'class="card chart-card chart-slot[^"]*" hx-get="([^"]+)"', response.text)
    return [
        {k: v[0] for k, v in parse_qs(urlsplit(unescape(u)).query).items()} | {"url": unescape(u)}
        for u in urls
    ]


def _seeds_table(models=("A1_no_pos_encoding", "B2_rope"), seeds=(1, 2, 3)) -> bytes:
    """A runs table as MLflow's runs CSV writes it: one row a run, seeds sharing a name."""
    runs = []
    for m, model in enumerate(models):
        for seed in seeds:
            runs.append(
                {
                    "name": model,
                    "params": {"model": model, "seed": seed, "lr": 0.001, "batch": 64},
                    "metrics": {"acc": round(0.7 + 0.05 * m + 0.01 * seed, 3), "loss": 0.5},
                }
            )
    return mlflow_runs_csv(runs)


@pytest.fixture
def summaries(alice):
    project = create_project(owner=alice, title="Position encodings", success_metric="acc")
    import_results(project, ("runs.csv", _seeds_table()))
    project.refresh_from_db()
    return project


# --- Figures -------------------------------------------------------------------------------------


def test_a_one_point_series_is_drawn_with_a_marker_and_a_long_one_as_a_line():
    one = SeriesData("summary", np.array([999]), np.array([0.9]))
    short = SeriesData("short", np.arange(5), np.linspace(1, 0.5, 5))
    long = SeriesData("long", np.arange(500), np.linspace(1, 0.1, 500))
    figure = metric_figure("acc", [one, short, long])
    modes = {t["name"]: t["mode"] for t in figure["data"]}
    assert "markers" in modes["summary"] and "markers" in modes["short"]
    assert modes["long"] == "lines"
    assert figure["data"][0]["y"] == [0.9]


def test_a_smoothed_short_series_keeps_its_markers():
    short = SeriesData("short", np.arange(4), np.array([1.0, 0.8, 0.7, 0.6]))
    figure = metric_figure("loss", [short], ChartOptions(smooth=0.6))
    shown = [t for t in figure["data"] if t.get("showlegend", True)]
    assert shown and all("markers" in t["mode"] for t in shown)


def test_a_summary_figure_has_a_dot_for_each_run_grouped_by_the_param_that_varies():
    runs = [
        SeriesData(
            f"{model} · seed {seed}",
            np.array([0]),
            np.array([v]),
            params={"model": model, "seed": seed},
        )
        for model, seed, v in [("a", 1, 0.7), ("a", 2, 0.72), ("b", 1, 0.8), ("b", 2, 0.82)]
    ]
    figure = summary_figure("acc", runs)
    assert figure["summary"] and figure["points"] == 4
    assert [t["name"] for t in figure["data"]] == ["model=a", "model=b"]
    assert all(t["mode"] == "markers" for t in figure["data"])
    assert sorted(y for t in figure["data"] for y in t["y"]) == sorted(r.name for r in runs)
    assert figure["layout"]["yaxis"]["type"] == "category"


def test_plot_text_escapes_markup_and_every_name_in_a_figure_is_escaped():
    assert plot_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    series = SeriesData(EVIL, np.arange(3), np.array([1.0, 2.0, 3.0]))
    figure = metric_figure(EVIL, [series])
    summary = summary_figure(EVIL, [SeriesData(EVIL, np.array([0]), np.array([1.0]), params={})])
    text = json.dumps([figure["data"], figure["layout"], summary["data"], summary["layout"]])
    assert "<a" not in text and "&lt;a href" in text


# --- Labels --------------------------------------------------------------------------------------


def test_runs_of_one_name_are_told_apart_by_the_param_that_differs():
    runs = [
        RunInfo(1, "A1_no_pos_encoding", {"seed": 1, "lr": 0.1}),
        RunInfo(2, "A1_no_pos_encoding", {"seed": 3, "lr": 0.1}),
        RunInfo(3, "baseline", {"seed": 1}),
    ]
    labels = run_labels(runs)
    assert labels == {
        1: "A1_no_pos_encoding · seed 1",
        2: "A1_no_pos_encoding · seed 3",
        3: "baseline",
    }


def test_runs_alike_in_every_param_fall_back_to_start_time_then_number():
    t1, t2 = datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 2, 10, tzinfo=UTC)
    timed = run_labels([RunInfo(1, "r", {"lr": 1}, t1), RunInfo(2, "r", {"lr": 1}, t2)])
    assert timed == {1: "r · 2026-03-01 10:00:00", 2: "r · 2026-03-02 10:00:00"}
    bare = run_labels([RunInfo(7, "r", {}), RunInfo(9, "r", {})])
    assert bare == {7: "r · #7", 9: "r · #9"}


# --- The Charts tab ------------------------------------------------------------------------------


def test_a_runs_table_project_gets_summary_charts_with_a_dot_per_run(alice_client, summaries):
    page = alice_client.get(reverse("projects:results", args=[summaries.slug]))
    slots = _slots(page)
    assert slots and slots[0]["metric"] == "acc"
    assert len(slots[0]["runs"].split(",")) == 6  # every run of the summary, not only ten lines
    for slot in slots:
        card = alice_client.get(slot["url"])
        (figure,) = _figures(card)
        assert figure["summary"]
        assert all(t["mode"] == "markers" and t["x"] for t in figure["data"])
        assert "data-zoom-url" not in card.text
    (figure,) = _figures(alice_client.get(slots[0]["url"]))
    names = [y for t in figure["data"] for y in t["y"]]
    assert len(set(names)) == 6
    assert "A1_no_pos_encoding · seed 3" in names
    assert [t["name"] for t in figure["data"]] == [
        "model=A1_no_pos_encoding",
        "model=B2_rope",
    ]


def test_the_default_chart_prefers_training_curves_over_summaries(alice_client, summaries):
    import_results(
        summaries,
        (
            "curves.csv",
            long_csv(
                {
                    ("A1_curve", "acc"): [0.1, 0.4, 0.6, 0.7],
                    ("B2_curve", "acc"): [0.2, 0.5, 0.6, 0.65],
                }
            ),
        ),
    )
    page = alice_client.get(reverse("projects:results", args=[summaries.slug]))
    main = _slots(page)[0]
    chosen = {r.name for r in summaries.runs.filter(id__in=main["runs"].split(","))}
    assert chosen == {"A1_curve", "B2_curve"}
    (figure,) = _figures(alice_client.get(main["url"]))
    assert not figure.get("summary")
    assert all(len(t["y"]) == 4 for t in figure["data"])


def test_the_default_metric_is_one_with_curves_when_the_success_metric_has_none(alice):
    project = create_project(owner=alice, success_metric="final_acc")
    import_results(
        project,
        ("t.csv", mlflow_runs_csv([{"name": "a", "metrics": {"final_acc": 0.9}}])),
    )
    import_results(project, ("c.csv", long_csv({("a", "loss"): [1.0, 0.5, 0.4]})))
    from django.test import Client

    client = Client()
    client.force_login(alice)
    page = client.get(reverse("projects:results", args=[project.slug]))
    assert _slots(page)[0]["metric"] == "loss"


# --- Runs table, compare -------------------------------------------------------------------------


def test_the_runs_table_shows_the_params_that_vary_and_distinct_names(alice_client, summaries):
    response = alice_client.get(reverse("projects:runs", args=[summaries.slug]))
    head = response.text.split("<tbody>")[0]
    params = re.findall(r'<th scope="col" class="param">([^<]+)</th>', head)
    assert params[:2] == ["model", "seed"]
    assert "batch" not in params and "lr" not in params  # the same on every run
    names = re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a>', response.text)
    assert len(names) == 6 and len(set(names)) == 6
    assert "A1_no_pos_encoding · seed 2" in names


def test_the_user_picks_the_runs_table_columns_and_sorting_keeps_them(alice_client, summaries):
    url = reverse("projects:runs", args=[summaries.slug])
    response = alice_client.get(url, {"col": ["lr", "batch"]})
    head = response.text.split("<tbody>")[0]
    assert re.findall(r'<th scope="col" class="param">([^<]+)</th>', head) == ["lr", "batch"]
    links = [unescape(h) for h in re.findall(r'href="(\?q=[^"]*)"', response.text)]
    assert "?q=&col=lr&col=batch&sort=last:acc" in links
    unknown = alice_client.get(url, {"col": "nope"})
    assert unknown.status_code == 200
    assert "No run has a param nope" in unknown.text


def test_compare_headers_tell_seeds_apart(alice_client, summaries):
    ids = ",".join(str(i) for i in summaries.runs.order_by("id").values_list("id", flat=True))
    response = alice_client.get(reverse("projects:compare", args=[summaries.slug]), {"runs": ids})
    headers = re.findall(r'<th scope="col" class="num"><a [^>]+>([^<]+)</a></th>', response.text)
    assert len(headers) == 6 and len(set(headers)) == 6


def test_run_param_and_metric_names_reach_plotly_as_text(alice_client, alice):
    project = create_project(owner=alice)
    import_results(
        project,
        (
            "evil.csv",
            mlflow_runs_csv(
                [
                    {"name": EVIL, "params": {"<b>k</b>": "<i>v</i>"}, "metrics": {"<s>m</s>": 1}},
                    {"name": EVIL, "params": {"<b>k</b>": "<i>w</i>"}, "metrics": {"<s>m</s>": 2}},
                    {"name": "ok", "params": {"<b>k</b>": "<i>w</i>"}, "metrics": {"<s>m</s>": 3}},
                ]
            ),
        ),
    )
    ids = ",".join(str(i) for i in project.runs.values_list("id", flat=True))
    pages = [
        alice_client.get(reverse("projects:compare", args=[project.slug]), {"runs": ids}),
        alice_client.get(
            reverse("projects:compare", args=[project.slug]),
            {"runs": ids, "chart": "parcoords"},
        ),
        alice_client.get(reverse("projects:stats", args=[project.slug])),
    ]
    results = alice_client.get(reverse("projects:results", args=[project.slug]))
    pages += [alice_client.get(s["url"]) for s in _slots(results)]
    figures = [f for page in pages for f in _figures(page)]
    assert len(figures) >= 3
    for figure in figures:
        text = json.dumps({k: figure[k] for k in ("data", "layout")})
        for tag in ("<a", "<b>", "<i>", "<s>"):
            assert tag not in text
    assert any("&lt;a href" in json.dumps(f["data"]) for f in figures)


# --- The public page -----------------------------------------------------------------------------


@pytest.fixture
def public_summaries(summaries, alice):
    alice.profile.is_public = True
    alice.profile.save()
    summaries.visibility = "public"
    summaries.save()
    save_revision(summaries, success_metric="acc", success_target=0.8)
    summaries.refresh_from_db()
    return summaries


def _public(client, project):
    return client.get(reverse("public:project", args=[project.owner.profile.slug, project.slug]))


def test_the_public_page_of_a_summary_project_shows_summary_charts(client, public_summaries):
    page = _public(client, public_summaries)
    slots = _slots(page)
    assert slots and slots[0]["metric"] == "acc"
    for slot in slots:
        (figure,) = _figures(client.get(slot["url"]))
        assert figure["summary"] and sum(len(t["x"]) for t in figure["data"]) == 6
    best = re.findall(r"<tr><td[^>]*>([^<]+)</td><td class=\"num\"", page.text)
    assert len(best) == 6 and len(set(best)) == 6
    assert best[0] == "B2_rope · seed 3"


def test_the_public_page_shows_the_training_curves_behind_its_claims(client, public_summaries):
    import_results(
        public_summaries,
        ("curves.csv", long_csv({("B2_rope", "acc"): [0.2, 0.5, 0.7, 0.86]})),
    )
    first = _public(client, public_summaries)
    again = _public(client, public_summaries)  # from the cache, same charts
    for page in (first, again):
        slot = _slots(page)[0]
        (figure,) = _figures(client.get(slot["url"]))
        assert not figure.get("summary")
        assert [len(t["y"]) for t in figure["data"] if t.get("meta") != "target"] == [4]
