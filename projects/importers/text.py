"""Text files before parsing: encoding, line ends and lengths, and reading CSV with pandas."""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .formats import ImportFailed, unknown_format
from .limits import Limits
from .report import Report
from .wording import human_size

HEAD_BYTES = 1 << 20
CHUNK_BYTES = 1 << 20
CELLS_PER_CHUNK = 2_000_000
# Tables read whole (runs tables) are refused past this many cells: they hold one row a run.
MAX_TABLE_CELLS = 5_000_000

# Cells that mean "no value here" (a blank cell in a sparse row), as opposed to a NaN value.
BLANK_WORDS = frozenset({"", "NA", "N/A", "n/a", "na", "null", "NULL", "None", "<NA>", "#N/A"})
# What pandas turns into NaN in a numeric column: the blank words and the spellings of NaN.
NA_WORDS = sorted(BLANK_WORDS | {"nan", "NaN", "NAN", "-nan", "-NaN", "#NA", "#N/A N/A"})
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {";": "semicolon", "\t": "tab", "|": "vertical bar"}

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


@dataclass
class CsvDialect:
    """How a CSV file is written: its delimiter, decimal mark and header."""

    delimiter: str
    decimal: str
    columns: list[str]
    header_line: int  # 0-based index of the header line
    # Why this delimiter, and whether another one would split the header as well.
    why: str = ""
    certain: bool = True

    def lowered(self) -> list[str]:
        """Column names lowercased and stripped, for matching."""
        return [c.strip().lower() for c in self.columns]


def delimiter_name(delimiter: str) -> str:
    """'comma', 'semicolon', 'tab', 'vertical bar' or the character itself in quotes."""
    return {",": "comma", **DELIMITER_NAMES}.get(delimiter, f"“{delimiter}”")


def _split(line: str, delimiter: str) -> list[str] | None:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return None


def sniff_csv(source: TextSource, limits: Limits) -> CsvDialect:
    """The delimiter (comma, semicolon, tab or bar), decimal mark and header of a CSV file.

    The user's delimiter (source.delimiter) is taken as it is. Otherwise the header decides
    (the candidate that splits it into most fields); when another candidate splits it into as
    many fields and the rows below agree with both, the guess is marked uncertain.
    """
    lines = source.head.splitlines()
    header_line = next((i for i, line in enumerate(lines) if line.strip()), 0)
    header = lines[header_line] if lines else ""
    if "\n" not in source.head and "\r" not in source.head and source.size > len(source.head):
        with source.open() as handle:
            header = handle.readline(limits.max_line_bytes + 1).rstrip("\r\n")
    body_lines = [line for line in lines[header_line + 1 : header_line + 50] if line.strip()]
    if source.delimiter:
        best = source.delimiter
        best_fields = _split(header, best) or [header]
        why, certain = "the delimiter was chosen by the user", True
    else:
        best, best_fields = ",", [header]
        counts: dict[str, int] = {}
        for delimiter in CANDIDATE_DELIMITERS:
            fields = _split(header, delimiter)
            if fields is None:
                continue
            counts[delimiter] = len(fields)
            if len(fields) > len(best_fields):
                best, best_fields = delimiter, fields
        rivals = [
            d
            for d, n in counts.items()
            if d != best and n == len(best_fields) > 1 and _rows_agree(body_lines, d, n)
        ]
        certain = not rivals
        if len(best_fields) <= 1:
            why = "the header has no comma, semicolon, tab or vertical bar"
        else:
            why = f"the header splits into {len(best_fields)} columns on it"
            if rivals:
                why += f", as it does on the {delimiter_name(rivals[0])}"
    if len(best_fields) > limits.max_columns:
        raise ImportFailed(
            f"“{source.name}” has {len(best_fields):,} columns; Cairn reads at most "
            f"{limits.max_columns:,}."
        )
    body = "\n".join(body_lines)
    decimal = "."
    if (
        best != ","
        and re.search(r"(?<![\d.])\d+,\d+(?![\d.])", body)
        and not re.search(r"\d\.\d", body)
    ):
        decimal = ","
    return CsvDialect(
        delimiter=best,
        decimal=decimal,
        columns=[c.strip() for c in best_fields],
        header_line=header_line,
        why=why,
        certain=certain,
    )


def _rows_agree(lines: list[str], delimiter: str, count: int) -> bool:
    """True when the first rows split into count fields on this delimiter too."""
    return all(len(_split(line, delimiter) or []) == count for line in lines[:20])


def dialect_notes(dialect: CsvDialect, report: Report) -> None:
    """Tell the user what was guessed about the CSV dialect (a decision the preview shows)."""
    report.decide(
        "delimiter", delimiter_name(dialect.delimiter), dialect.why, certain=dialect.certain
    )
    if dialect.delimiter != "," and dialect.why != "the delimiter was chosen by the user":
        report.warn(
            f"The delimiter was guessed as “{dialect.delimiter}” "
            f"({DELIMITER_NAMES.get(dialect.delimiter, dialect.delimiter)}), not a comma."
        )
    if dialect.decimal == ",":
        report.warn("Numbers use a decimal comma (1,5); they were read as 1.5.")


def read_table(
    source: TextSource,
    dialect: CsvDialect,
    report: Report,
    *,
    text_columns: set[int] | None = None,
    all_text: bool = False,
    chunksize: int | None = None,
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """Rows of a CSV as frames (columns c0..cN) with their file line numbers, in chunks."""
    # Rows with more fields than the header and a last line cut short are rejected here, and
    # blank lines skipped, so every format gets them right. Columns are named by position
    # because real headers repeat names or miss them; dialect.columns has them as written.
    names = [f"c{i}" for i in range(len(dialect.columns))]
    if all_text:
        dtype: dict | type = str
        na_values: dict | list = []
    else:
        text_columns = text_columns or set()
        dtype = {names[i]: object for i in text_columns}
        na_values = {name: NA_WORDS for i, name in enumerate(names) if i not in text_columns}
    partial_line = _partial_last_line(source, dialect)
    skipped: list[int] = []
    first_data_line = dialect.header_line + 2
    try:
        reader = pd.read_csv(
            source.path,
            sep=dialect.delimiter,
            decimal=dialect.decimal,
            header=None,
            names=names,
            skiprows=dialect.header_line + 1,
            index_col=False,
            dtype=dtype,
            keep_default_na=False,
            na_values=na_values,
            skip_blank_lines=False,
            on_bad_lines="warn",
            encoding=source.encoding,
            encoding_errors=source.errors,
            engine="c",
            chunksize=_chunk_rows(chunksize, len(names)),
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportFailed(_parser_error(source.name, exc)) from None
    start = 0
    with reader:
        while True:
            # Bad rows come as warnings; catch them per chunk, not across the caller's code.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    chunk = next(reader)
                except (StopIteration, pd.errors.EmptyDataError):
                    break
                except pd.errors.ParserError as exc:
                    raise ImportFailed(_parser_error(source.name, exc)) from None
            new_bad = _bad_lines(caught)
            if new_bad:
                skipped.extend(new_bad)
                skipped.sort()
                report.rows_read += len(new_bad)
                report.reject("the row has more fields than the header", new_bad)
            lines = _line_numbers(start, len(chunk), first_data_line, skipped)
            start += len(chunk)
            chunk, lines = _drop_blank_rows(chunk, lines)
            if partial_line and len(lines) and lines[-1] == partial_line:
                chunk, lines = chunk.iloc[:-1], lines[:-1]
                report.rows_read += 1
                report.reject("the last line is cut short (the file seems truncated)", partial_line)
            report.rows_read += len(chunk)
            yield chunk.reset_index(drop=True), lines


def _chunk_rows(wanted: int | None, columns: int) -> int:
    """Rows a chunk: what the caller wants, but never so many cells that a chunk gets huge."""
    # pandas holds a chunk's text cells as Python strings, ~60 bytes each.
    return max(1_000, min(wanted or 2**62, CELLS_PER_CHUNK // max(1, columns)))


def _bad_lines(caught) -> list[int]:
    out = []
    for item in caught:
        match = re.search(r"Skipping line (\d+)", str(item.message))
        if match:
            out.append(int(match.group(1)))
    return out


def _line_numbers(start: int, count: int, first_line: int, skipped: list[int]) -> np.ndarray:
    rows = np.arange(start, start + count, dtype=np.int64)
    if not skipped:
        return rows + first_line
    # A skipped line would have been row (line - first_line - rows skipped before it); every
    # row at or after that position sits one line further down.
    bad = np.asarray(skipped, dtype=np.int64)
    would_be = bad - first_line - np.arange(bad.size)
    return rows + first_line + np.searchsorted(would_be, rows, side="right")


def _drop_blank_rows(frame: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    if frame.empty:
        return frame, lines
    candidates = np.arange(len(frame))
    # Numeric columns first: they rule out most rows cheaply.
    columns = sorted(frame.columns, key=lambda c: frame[c].dtype == object)
    for column in columns:
        values = frame[column].iloc[candidates]
        blank = values.isna().to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            blank = blank | (values.fillna("").astype(str).str.strip() == "").to_numpy()
        candidates = candidates[blank]
        if candidates.size == 0:
            return frame, lines
    keep = np.ones(len(frame), dtype=bool)
    keep[candidates] = False
    return frame.iloc[keep], lines[keep]


def _partial_last_line(source: TextSource, dialect: CsvDialect) -> int | None:
    """The number of the last line when it has no newline and fewer fields than the header."""
    if source.ends_with_newline or len(dialect.columns) < 2:
        return None
    with open(source.path, "rb") as handle:
        handle.seek(max(0, source.size - 65536))
        tail = handle.read().decode(source.encoding.replace("-sig", ""), errors="replace")
    last = tail.rsplit("\n", 1)[-1]
    if not last.strip():
        return None
    try:
        fields = next(csv.reader([last], delimiter=dialect.delimiter), [])
    except csv.Error:
        return source.line_count
    return source.line_count if len(fields) < len(dialect.columns) else None


def _parser_error(name: str, exc: Exception) -> str:
    text = str(exc)
    if "EOF inside string" in text:
        match = re.search(r"row (\d+)", text)
        # pandas counts rows from 0 over every line of the file, the skipped header included.
        where = f" (the quote opens on line {int(match.group(1)) + 1:,})" if match else ""
        return (
            f"“{name}” ends inside a quoted field{where}: a quote is never closed, "
            "or the file was cut off."
        )
    return f"“{name}” is not a well-formed CSV file: {text.strip().splitlines()[-1]}"


def read_whole_table(
    source: TextSource, dialect: CsvDialect, report: Report
) -> tuple[pd.DataFrame, np.ndarray]:
    """A small table (one row a run) read whole as text, refusing one that is not small."""
    frames, line_parts, cells = [], [], 0
    for chunk, lines in read_table(source, dialect, report, all_text=True):
        cells += chunk.size
        if cells > MAX_TABLE_CELLS:
            raise ImportFailed(
                f"“{source.name}” is a runs table with more than {MAX_TABLE_CELLS:,} cells; "
                "Cairn reads runs tables up to that size."
            )
        frames.append(chunk)
        line_parts.append(lines)
    if not frames:
        return pd.DataFrame(), np.zeros(0, dtype=np.int64)
    return pd.concat(frames, ignore_index=True), np.concatenate(line_parts)


def numbers(values: pd.Series, decimal: str = ".") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text cells to (present, values, bad) masks and floats; bad is text that is no number."""
    # 'nan' and 'inf' are present numbers (gaps in a curve); '' and 'NA' are a sparse row's
    # empty cell, so no point at all.
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        parsed = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return ~np.isnan(parsed), parsed, np.zeros(len(values), dtype=bool)
    text = values.fillna("").astype(str).str.strip()
    # The MLflow UI prefixes a quote to cells starting with = + - @ against spreadsheet injection.
    text = text.str.replace(r"^'(?=[=+\-@])", "", regex=True)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    present = ~text.isin(BLANK_WORDS).to_numpy()
    parsed = pd.to_numeric(text.where(present, None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    nan_words = text.str.lower().str.lstrip("+-").isin(["nan"]).to_numpy()
    bad = present & np.isnan(parsed) & ~nan_words
    return present, parsed, bad


def name_codes(column: pd.Series, table: dict[str, int]) -> np.ndarray:
    """Integer codes of names (stripped), -1 for a missing one; new names join the table."""
    # Factorising first means Python touches each distinct name once, not each row.
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=np.int32)
    mapped[-1] = -1
    for i, unique in enumerate(uniques):
        name = str(unique).strip()
        mapped[i] = table.setdefault(name, len(table)) if name else -1
    return mapped[codes]


def integers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats to int64 steps: (steps, missing, not_integer) masks for the ones that cannot be."""
    missing = np.isnan(values)
    out_of_range = ~missing & ((values >= 2.0**63) | (values < -(2.0**63)) | np.isinf(values))
    fractional = ~missing & ~out_of_range & (np.floor(values) != values)
    ok = ~(missing | out_of_range | fractional)
    steps = np.zeros(values.shape, dtype=np.int64)
    steps[ok] = values[ok].astype(np.int64)
    return steps, missing, fractional | out_of_range
