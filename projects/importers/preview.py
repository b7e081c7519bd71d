"""A preview of an import: the first rows, each column's role and the guesses, from a sample.

Only the first SAMPLE_BYTES of the data file are read (cut at the last whole line), so a
preview costs the same for a file of a thousand rows or of a million. The sample goes through
the same pipeline as the import itself (detection, dialect, settle_roles, dates), so the roles
shown are the roles the import will use with the same choices. A guess the sample cannot settle
(a date column whose 13th day comes later in the file) may show as uncertain here although the
whole file settles it: the import's own report, when there is one, is laid over the sample's.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .choices import ROLES, Choices
from .data import InputFile
from .detect import is_yaml
from .dialect import sniff_csv
from .formats import ImportFailed
from .limits import Limits
from .pipeline import parse
from .report import Decision
from .safety import is_zip
from .text import prepare_text

SAMPLE_BYTES = 256 * 1024
PREVIEW_ROWS = 20
MAX_CELL = 80  # characters of a cell shown


@dataclass
class Column:
    """One column of the previewed table: its name, role, and why it has that role."""

    index: int
    name: str
    role: str
    why: str
    by_user: bool = False
    examples: list[str] = field(default_factory=list)


@dataclass
class Preview:
    """What the preview page shows of one import's data file."""

    file_name: str = ""
    format: str = ""
    delimiter: str = ""
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # the first rows as written
    lines: list[str] = field(default_factory=list)  # for files that are no table (JSON)
    decisions: list[Decision] = field(default_factory=list)
    error: str = ""  # the sample could not be read with these choices: why
    sampled: bool = False  # the file is larger than the sample
    has_dates: bool = False  # a date column was read: the date order matters

    @property
    def uncertain(self) -> list[Decision]:
        return [d for d in self.decisions if not d.certain]

    def roles(self) -> dict[str, str]:
        """Column name -> role, as the import would read it now."""
        return {c.name: c.role for c in self.columns}


def preview(
    files: list[InputFile],
    *,
    choices: Choices | None = None,
    format: str | None = None,
    rows: int = PREVIEW_ROWS,
    sample_bytes: int = SAMPLE_BYTES,
    limits: Limits = Limits(),  # noqa: B008 (frozen)
) -> Preview:
    """Read the start of the import's data file and say how Cairn would read it."""
    choices = choices or Choices()
    data = [f for f in files if not is_yaml(f.name)]
    companions = [f for f in files if is_yaml(f.name)]
    if not data:
        return Preview(error="The import holds no data file to preview.")
    first = data[0]
    out = Preview(file_name=first.name)
    if is_zip(first.path):
        out.error = (
            "A zip archive is not previewed row by row; its import report says how it was read."
        )
        return out
    with tempfile.TemporaryDirectory(prefix="cairn-preview-") as tmp:
        workdir = Path(tmp)
        sample = workdir / Path(first.name).name
        out.sampled = _copy_head(first.path, sample, sample_bytes)
        sample_file = InputFile(
            path=sample, name=first.name, run_name=first.run_name, metric_name=first.metric_name
        )
        _table(out, sample, first.name, workdir, choices, rows, limits)
        try:
            result = parse([sample_file, *companions], format=format, choices=choices)
        except ImportFailed as exc:
            out.error = exc.message
            result = None
    if result is not None:
        out.format = result.format
        out.decisions = list(result.report.decisions)
        out.has_dates = any(d.subject.startswith("dates") for d in out.decisions)
        roles = result.report.roles
        if not out.columns:
            out.columns = [
                Column(i, name, role, why) for i, (name, (role, why)) in enumerate(roles.items())
            ]
        for column in out.columns:
            if column.name in roles:
                column.role, column.why = roles[column.name]
    for column in out.columns:
        column.by_user = choices.role(column.name) is not None
        if column.role not in ROLES:
            column.role = "ignore"
    return out


def _copy_head(path: Path, target: Path, size: int) -> bool:
    """Copy at most size bytes of path, cut after the last newline; True when the file is longer."""
    with open(path, "rb") as src:
        head = src.read(size + 1)
    longer = len(head) > size
    if longer:
        head = head[:size]
        cut = head.rfind(b"\n")
        if cut > 0:
            head = head[: cut + 1]
    with open(target, "wb") as dst:
        dst.write(head)
    return longer


def _table(
    out: Preview,
    sample: Path,
    name: str,
    workdir: Path,
    choices: Choices,
    rows: int,
    limits: Limits,
) -> None:
    """The first rows of a CSV sample split by its delimiter; of other text, the first lines."""
    try:
        source = prepare_text(sample, name, workdir, limits)
    except ImportFailed as exc:
        out.error = exc.message
        return
    head = source.head.lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        out.lines = [line[:200] for line in head.splitlines()[:rows]]
        return
    source.delimiter = choices.delimiter
    try:
        dialect = sniff_csv(source, limits)
    except ImportFailed as exc:
        out.error = exc.message
        return
    out.delimiter = dialect.delimiter
    lines = source.head.splitlines()[dialect.header_line + 1 :]
    body = [line for line in lines if line.strip()][: rows + 1]
    if out.sampled and len(body) > rows:
        body = body[:rows]
    try:
        parsed = list(csv.reader(body, delimiter=dialect.delimiter))[:rows]
    except csv.Error:
        parsed = [[line] for line in body[:rows]]
    width = len(dialect.columns)
    out.rows = [[cell[:MAX_CELL] for cell in (row + [""] * width)[:width]] for row in parsed]
    out.columns = [
        Column(
            i,
            column,
            "ignore",
            "",
            examples=list(dict.fromkeys(r[i] for r in out.rows if r[i]))[:3],
        )
        for i, column in enumerate(dialect.columns)
    ]
