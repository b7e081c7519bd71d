"""Word-level differences between two revisions, section by section."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .models import ProjectRevision
from .sections import CONTENT_FIELDS, FIELD_LABELS

# A token is a word with the spaces after it on its line, a line break, or the indentation that
# starts a line: a diff never splits inside a word, never reports a change made only of spacing
# between two unchanged words, and never moves a line break into a change. Words added at the
# end of a line are shown inline, before that line's break, not after it on a line of their own.
_TOKEN = re.compile(r"\r?\n|\r|[^\S\r\n]+|\S+[^\S\r\n]*")


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


def _key(token: str) -> str:
    """What a token is matched by: its word, without the spaces after it; "\n" for a break."""
    return "\n" if token[0] in "\r\n" else token.rstrip()


def _word_diff(old: str, new: str, out: list[Segment]) -> None:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    # Matched by their word alone: the last word of a line ("good") is the same word as "good "
    # with more text after it. A difference only in the spacing after an unchanged word (or in
    # a line ending) becomes white space deleted and inserted, which counts as no word changed.
    keys_a, keys_b = [_key(t) for t in a], [_key(t) for t in b]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if tag == "equal":
            for old_token, new_token, key in zip(a[i1:i2], b[j1:j2], keys_a[i1:i2], strict=True):
                word = "" if key == "\n" else key
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
