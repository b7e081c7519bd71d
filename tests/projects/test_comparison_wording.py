"""Targets and comparisons are written one way for people everywhere: "≥" and "≤"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from projects.targets import COMPARISONS, comparison_sign, target_phrase

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("code", "sign"), [(">=", "≥"), (">", ">"), ("<=", "≤"), ("<", "<")])
def test_each_comparison_code_has_one_written_form(code, sign):
    assert comparison_sign(code) == sign


def test_every_comparison_code_is_written_without_an_equals_sign():
    assert all("=" not in comparison_sign(code) for code in COMPARISONS)


def test_a_target_phrase_uses_the_sign():
    assert target_phrase("<=", 0.25) == "≤ 0.25"
    assert target_phrase(">=", 0.912345678, digits=4) == "≥ 0.9123"


def test_every_template_writes_a_comparison_through_the_sign_filter():
    unfiltered = []
    for path in (ROOT / "templates").rglob("*.html"):
        for match in re.finditer(r"\{\{\s*([\w.]*comparison)\s*(\|[^}]*)?\}\}", path.read_text()):
            if "comparison_sign" not in (match.group(2) or ""):
                unfiltered.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert unfiltered == []


def test_the_markdown_export_writes_the_success_target_with_its_sign(alice_client, alice):
    from django.urls import reverse

    from tests.factories import create_project, save_revision

    project = create_project(owner=alice, title="Latency")
    save_revision(project, success_metric="p95_ms", success_target=120, success_direction="lower")

    text = alice_client.get(reverse("projects:export-md", args=[project.slug])).text

    assert "- Success metric: p95_ms, target ≤ 120 (lower is better)" in text


def test_the_best_so_far_chart_writes_its_target_with_its_sign(alice):
    import datetime

    from milestones.best_so_far import BestSoFar, best_so_far_figure
    from tests.factories import create_project

    series = BestSoFar(
        project=create_project(owner=alice),
        metric="val/auc",
        direction="higher",
        target=0.9,
        dates=[datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)],
        best=[0.8],
        imports=["a.csv"],
    )

    figure = best_so_far_figure(series)

    assert series.target_label == "target ≥ 0.9"
    assert figure["data"][-1]["name"] == "target ≥ 0.9"
