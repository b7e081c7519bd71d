"""The runs comparison page: choosing runs, differences and bests marked, the chart, access."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from projects.models import Run
from tests.factories import create_project, import_results, mlflow_runs_csv

pytestmark = pytest.mark.django_db

RUNS = [
    {
        "name": "a",
        "params": {"model": "augment", "lr": "0.1"},
        "metrics": {"acc": 0.9, "loss": 0.3},
    },
    {
        "name": "b",
        "params": {"model": "augment", "lr": "0.01"},
        "metrics": {"acc": 0.95, "loss": 0.2},
    },
    {
        "name": "c",
        "params": {"model": "baseline", "lr": "0.1"},
        "metrics": {"acc": 0.8, "loss": 0.5},
    },
]


@pytest.fixture
def project(alice):
    project = create_project(owner=alice, title="Sweep")
    import_results(project, ("runs.csv", mlflow_runs_csv(RUNS)))
    return project


def _url(project, query: str = "") -> str:
    return reverse("projects:compare", args=[project.slug]) + (f"?{query}" if query else "")


def _ids(project, *names) -> str:
    return ",".join(str(Run.objects.get(project=project, name=n).pk) for n in names)


def _rows(response) -> dict[str, str]:
    """Each table row's html by its label and kind ("lr param", "acc last")."""
    rows = {}
    for kind, html in re.findall(
        r'<tr class="[^"]*" data-testid="compare-row" data-kind="(\w+)">(.*?)</tr>',
        response.text,
        re.S,
    ):
        label = re.search(r"</span> (\S+) <span|<th scope=\"row\">(\S+) <span", html)
        rows[f"{label.group(1) or label.group(2)} {kind}"] = html
    return rows


def test_it_compares_the_runs_given_in_the_query(alice_client, project):
    response = alice_client.get(_url(project, f"runs={_ids(project, 'a', 'b')}"))

    assert response.status_code == 200
    assert 'aria-current="page">Compare</a>' in response.text
    assert [r["name"] for r in response.context["page"].chosen] == ["a", "b"]


def test_ticked_checkboxes_choose_runs_without_javascript(alice_client, project):
    a, c = _ids(project, "a"), _ids(project, "c")

    response = alice_client.get(_url(project, f"run={a}&run={c}"))

    assert [r["name"] for r in response.context["page"].chosen] == ["a", "c"]
    assert f'value="{a}" checked' in response.text


def test_it_filters_by_param(alice_client, project):
    response = alice_client.get(_url(project, "where=model=augment"))

    assert [r["name"] for r in response.context["page"].chosen] == ["a", "b"]


def test_differences_and_bests_are_marked(alice_client, project):
    response = alice_client.get(_url(project, f"runs={_ids(project, 'a', 'b', 'c')}"))

    rows = _rows(response)
    assert 'class="differs"' in response.text
    assert "●" in rows["lr param"]
    # Each value names its run (a phone shows the label beside it).
    star = '<span class="best-mark" title="Best">★</span> '
    best = f'<td class="num is-best" data-label="b"><span>{star}'
    assert f"{best}0.95</span></td>" in rows["acc last"]  # higher accuracy is better
    assert f"{best}0.2</span></td>" in rows["loss last"]  # lower loss is better
    assert '<td class="num" data-label="c"><span>0.8</span></td>' in rows["acc last"]
    assert rows["acc last"].count("★") == 1
    same = alice_client.get(_url(project, f"runs={_ids(project, 'a', 'b')}"))
    assert "●" not in _rows(same)["model param"]


def test_the_scatter_puts_a_numeric_param_on_a_numeric_axis(alice_client, project):
    response = alice_client.get(
        _url(project, f"runs={_ids(project, 'a', 'b', 'c')}&metric=acc&chart=scatter&x=lr")
    )

    figure = _figure(response)
    assert figure["layout"]["xaxis"]["type"] == "linear"
    assert sorted(figure["data"][0]["x"]) == [0.01, 0.1, 0.1]
    text = alice_client.get(
        _url(project, f"runs={_ids(project, 'a', 'b', 'c')}&metric=acc&chart=scatter&x=model")
    )
    assert _figure(text)["layout"]["xaxis"]["type"] == "category"


def test_parallel_coordinates_keep_text_params_as_categories(alice_client, project):
    response = alice_client.get(
        _url(project, f"runs={_ids(project, 'a', 'b', 'c')}&metric=loss&chart=parcoords")
    )

    figure = _figure(response)
    # Drawn as SVG lines, one a run, each axis scaled to 0-1 and labelled at its ends.
    assert [t["type"] for t in figure["data"]] == ["scatter"] * 3
    ticks = figure["layout"]["xaxis"]["ticktext"]
    assert "model" in ticks
    assert ticks[-1] == "loss (final)"
    last = len(ticks) - 1
    assert [round(t["y"][last], 3) for t in figure["data"]] == [0.333, 0.0, 1.0]
    labels = {(a["x"], a["text"]) for a in figure["layout"]["annotations"]}
    model = ticks.index("model")
    assert {(model, "augment"), (model, "baseline")} <= labels
    assert {(last, "0.2"), (last, "0.5")} <= labels


def _figure(response) -> dict:
    match = re.search(
        r'<script id="figure-compare-chart" type="application/json">(.*?)</script>',
        response.text,
        re.S,
    )
    assert match, "no comparison figure"
    return json.loads(match.group(1))


def test_nothing_chosen_explains_what_to_do(alice_client, project):
    response = alice_client.get(_url(project))

    assert response.status_code == 200
    assert "Tick two or more runs" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("runs=abc", "“abc” is not a run number"),
        ("runs=999999", "This project has no run number 999999."),
        ("where=model", "“model” is not a filter"),
        ("where=model=augment&metric=nope", "None of the chosen runs has a metric called “nope”."),
        ("where=model=augment&x=nope", "None of the chosen runs has a param called “nope”."),
        ("where=model=augment&chart=pie", "Pick a parallel-coordinates or a scatter chart."),
        ("where=model=augment&which=median", "Pick the final or the best value."),
    ],
)
def test_bad_input_gives_a_clear_message(alice_client, project, query, message):
    response = alice_client.get(_url(project, query))

    assert response.status_code == 400
    assert message in response.content.decode()


def test_someone_elses_run_ids_are_unknown_here(alice_client, project, bob):
    other = create_project(owner=bob)
    import_results(other, ("runs.csv", mlflow_runs_csv(RUNS[:1])))

    response = alice_client.get(_url(project, f"runs={Run.objects.get(project=other).pk}"))

    assert response.status_code == 400
    assert "This project has no run number" in response.content.decode()


def test_another_user_gets_404(bob_client, project):
    assert bob_client.get(_url(project)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, project):
    response = client.get(_url(project))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
