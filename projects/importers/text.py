"""Text files before parsing: encoding, BOMs, line ends and lengths, checked and made UTF-8."""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..wording import human_size
from .formats import ImportFailed, unknown_format
from .limits import Limits
from .report import Report

HEAD_BYTES = 1 << 20
CHUNK_BYTES = 1 << 20

_MAGIC = (
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ", "an xz-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (save it as CSV)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x93NUMPY", "a NumPy array file"),
    (b"\x89HDF", "an HDF5 file"),
)


@dataclass
class TextSource:
    """A text file ready for a parser: UTF-8 on disk, with what was learnt while checking it."""

    path: Path
    name: str
    encoding: str = "utf-8"
    errors: str = "strict"
    head: str = ""
    ends_with_newline: bool = True
    line_count: int = 0
    size: int = 0
    run_name: str | None = None
    metric_name: str | None = None
    notes: list[str] = field(default_factory=list)
    # The delimiter the user chose (Choices.delimiter), or "" to tell it from the header.
    delimiter: str = ""

    def open(self) -> io.TextIOWrapper:
        """The file as text, decoded the way it was checked."""
        return open(self.path, encoding=self.encoding, errors=self.errors, newline="")

    def emit_notes(self, report: Report) -> None:
        """Pass the notes about the file itself (BOM, line ends, encoding) to the report."""
        for note in self.notes:
            report.warn(note)


def binary_kind(raw: bytes, name: str) -> str | None:
    """What a non-text file seems to be ('a binary file', 'a PNG image'), or None for text."""
    lowered = name.lower()
    if "tfevents" in lowered:
        return (
            "a TensorBoard event file (binary); in TensorBoard, download the scalars as CSV or "
            "JSON and upload those"
        )
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            if magic == b"PK\x03\x04" and lowered.endswith((".xlsx", ".xlsm")):
                return "an Excel workbook (save it as CSV)"
            return kind
    sample = raw[:65536]
    if not sample:
        return None
    if b"\x00" in sample:
        odd_nuls = sample[1::2].count(0) / max(1, len(sample) // 2)
        even_nuls = sample[0::2].count(0) / max(1, len(sample) // 2)
        if max(odd_nuls, even_nuls) > 0.3 and min(odd_nuls, even_nuls) < 0.05:
            return "UTF-16 text without a byte-order mark (save it as UTF-8)"
        return "a binary file"
    controls = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if controls / len(sample) > 0.01:
        return "a binary file"
    return None


def prepare_text(
    path: Path,
    name: str,
    workdir: Path,
    limits: Limits,
    *,
    run_name: str | None = None,
    metric_name: str | None = None,
) -> TextSource:
    """Check a file is text Cairn can read, converting UTF-16 or Latin-1 to UTF-8 when needed."""
    source = TextSource(path=path, name=name, run_name=run_name, metric_name=metric_name)
    with open(path, "rb") as handle:
        raw = handle.read(HEAD_BYTES)
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise ImportFailed(f"“{name}” is UTF-32 text; save it as UTF-8 and upload it again.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        source.path = _transcode(path, workdir, "utf-16", name, limits)
        source.notes.append("The file was UTF-16 text; it was converted to UTF-8.")
        with open(source.path, "rb") as handle:
            raw = handle.read(HEAD_BYTES)
    elif raw.startswith(codecs.BOM_UTF8):
        source.encoding = "utf-8-sig"
        source.notes.append("A byte-order mark (BOM) at the start of the file was removed.")
        raw = raw[3:]
    kind = binary_kind(raw, name)
    if kind:
        raise unknown_format(name, kind)
    _scan(source, limits)
    if source.encoding == "latin-1":
        source.path = _transcode(path, workdir, "latin-1", name, limits)
        source.encoding = "utf-8"
        with open(source.path, "rb") as handle:
            raw = handle.read(HEAD_BYTES)
    source.head = raw.decode("utf-8", errors="ignore")
    if not source.head.strip():
        raise ImportFailed(f"“{name}” is empty: it holds only blank lines.")
    if "\r\n" in source.head:
        source.notes.append(
            "The file has Windows line ends (CRLF); they were read as plain line ends."
        )
    return source


def _scan(source: TextSource, limits: Limits) -> None:
    """One pass in chunks: line lengths, line count, final newline, and UTF-8 validity."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, bad_at, offset, newlines, current, last = True, 0, 0, 0, 0, b""
    skip = 3 if source.encoding == "utf-8-sig" else 0
    with open(source.path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if skip:
                chunk, skip = chunk[skip:], 0
            if valid and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    valid, bad_at = False, offset + exc.start
            offset += len(chunk)
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if ends.size == 0:
                lengths = np.array([current + len(chunk)])
            else:
                lengths = np.concatenate(([current + ends[0]], np.diff(ends) - 1))
            if lengths.max() > limits.max_line_bytes:
                line = newlines + 1 + int(np.argmax(lengths > limits.max_line_bytes))
                raise ImportFailed(
                    f"Line {line:,} of “{source.name}” is longer than "
                    f"{human_size(limits.max_line_bytes)}, the longest line Cairn reads. "
                    "Is this really a CSV or JSON Lines file?"
                )
            if ends.size:
                newlines += int(ends.size)
                current = len(chunk) - int(ends[-1]) - 1
            else:
                current += len(chunk)
            last = chunk[-1:] or last
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            # Only the very end is broken: a file cut inside a character. Keep the rest.
            source.errors = "replace"
            source.notes.append("The file ends in the middle of a character; it may be cut off.")
    else:
        source.encoding = "latin-1"
        source.notes.append(
            f"The file is not valid UTF-8 (the first bad byte is at offset {bad_at:,}); it was "
            "read as Latin-1, so accented letters may look wrong. Save it as UTF-8 to be sure."
        )
    source.size = offset
    source.ends_with_newline = last == b"\n"
    source.line_count = newlines + (0 if source.ends_with_newline or offset == 0 else 1)


def _transcode(path: Path, workdir: Path, encoding: str, name: str, limits: Limits) -> Path:
    target = workdir / f"utf8-{abs(hash((str(path), encoding)))}.txt"
    reader = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
            if encoding == "latin-1" and src.read(3) != codecs.BOM_UTF8:
                src.seek(0)  # a UTF-8 mark on Latin-1 text is dropped, not read as "ï»¿"
            while chunk := src.read(CHUNK_BYTES):
                dst.write(reader.decode(chunk))
            dst.write(reader.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"“{name}” starts with a UTF-16 byte-order mark but is not valid UTF-16 "
            f"({exc.reason}); it may be cut off. Save it as UTF-8 and upload it again."
        ) from None
    if target.stat().st_size > limits.max_bytes * 2:
        raise ImportFailed(f"“{name}” is too large once converted to UTF-8.")
    return target
