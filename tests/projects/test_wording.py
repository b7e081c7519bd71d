"""One rule for counts in words (projects/wording.py), in Python and in templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from projects.wording import agree, plural

ROOT = Path(__file__).resolve().parents[2]
# A hand-made plural: {'s' if n != 1 else ''}, {'' if n == 1 else 's'}, word{{ n|pluralize }}.
HAND_MADE = re.compile(
    r"""\{'s?' if [^}]*(==|!=) 1 else 's?'\}|\}\} [\w -]+\{\{ [\w.|]+\|pluralize \}\}"""
)


def test_a_count_and_its_noun():
    assert plural(1, "run") == "1 run"
    assert plural(0, "run") == "0 runs"
    assert plural(2400, "point") == "2,400 points"
    assert plural(3, "entry", "entries") == "3 entries"


def test_a_verb_agrees_with_its_count():
    assert agree(1, "was", "were") == "was"
    assert agree(2, "was", "were") == "were"


@pytest.mark.parametrize(
    "value, word, shown",
    [(1, "run", "1 run"), (2400, "run", "2,400 runs"), (2, "entry,entries", "2 entries"),
     ("x", "run", "")],
)  # fmt: skip
def test_templates_word_counts_the_same_way(value, word, shown):
    template = Template("{% load wording %}{{ n|plural:word }}")

    assert template.render(Context({"n": value, "word": word})) == shown


def test_no_code_or_template_makes_its_own_plural():
    found = []
    paths = [
        *(ROOT / "projects").rglob("*.py"),
        *(ROOT / "milestones").rglob("*.py"),
        *(ROOT / "portfolio").rglob("*.py"),
        *(ROOT / "tracking").rglob("*.py"),
        *(ROOT / "outbox").rglob("*.py"),
        *(ROOT / "templates").rglob("*.html"),
        *(ROOT / "templates").rglob("*.txt"),
    ]
    for path in paths:
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if HAND_MADE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert found == []
