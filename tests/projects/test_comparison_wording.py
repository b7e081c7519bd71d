"""Targets and comparisons are written one way for people everywhere: "≥" and "≤"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from projects.targets import COMPARISONS, comparison_sign, target_phrase

ROOT = Path(__file__).resolve().parents[2]


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
