"""Word-level differences between two revisions, section by section."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .models import ProjectRevision
from .sections import CONTENT_FIELDS, FIELD_LABELS

# A token is a word with the white space after it, so a diff never splits inside a word and
# never reports a change made only of spacing between two unchanged words.
_TOKEN = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "insert" or "delete"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    segments: list[Segment]
    added: int  # words
    removed: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _word_diff(old: str, new: str, out: list[Segment]) -> None:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    # Match tokens by their word alone: the last word of a text ("good") is the same word as
    # "good " with more text after it. A difference only in the spacing after an unchanged word
    # becomes white space deleted and inserted, which counts as no word changed.
    words_a, words_b = [t.rstrip() for t in a], [t.rstrip() for t in b]
    for tag, i1, i2, j1, j2 in SequenceMatcher(
        None, words_a, words_b, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            for old_token, new_token in zip(a[i1:i2], b[j1:j2], strict=True):
                word = old_token.rstrip()
                old_space, new_space = old_token[len(word) :], new_token[len(word) :]
                out.append(Segment("equal", word))
                if old_space == new_space:
                    out.append(Segment("equal", old_space))
                else:
                    out.append(Segment("delete", old_space))
                    out.append(Segment("insert", new_space))
            continue
        if tag in ("delete", "replace"):
            out.append(Segment("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(Segment("insert", "".join(b[j1:j2])))


def diff_text(old: str, new: str) -> list[Segment]:
    """The words of new and old as equal, inserted and deleted runs, in reading order.

    Lines are matched first and words only inside the lines that differ, which keeps a diff of
    long sections fast: word matching costs about the product of the two lengths.
    """
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
        else:
            _word_diff("".join(a[i1:i2]), "".join(b[j1:j2]), segments)
    return _merge(segments)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Join neighbouring runs of the same kind and drop empty ones."""
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].op == segment.op:
            merged[-1] = Segment(segment.op, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged


def _count_words(segments: list[Segment], op: str) -> int:
    return sum(len(s.text.split()) for s in segments if s.op == op)


def diff_revisions(old: ProjectRevision, new: ProjectRevision) -> list[FieldDiff]:
    """One FieldDiff per content field, in reading order (unchanged fields included)."""
    result = []
    for field in CONTENT_FIELDS:
        before, after = _as_text(getattr(old, field)), _as_text(getattr(new, field))
        if before == after:
            segments = [Segment("equal", after)] if after else []
        else:
            segments = diff_text(before, after)
        result.append(
            FieldDiff(
                field=field,
                label=FIELD_LABELS[field],
                segments=segments,
                added=_count_words(segments, "insert"),
                removed=_count_words(segments, "delete"),
            )
        )
    return result
