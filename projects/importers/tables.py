"""CSV tables read with pandas in chunks (or whole), with file line numbers kept for every row,
and columns turned into numbers, codes and whole numbers."""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .dialect import CsvDialect
from .formats import ImportFailed
from .report import Report
from .text import TextSource

CELLS_PER_CHUNK = 2_000_000
# Tables read whole (runs tables) are refused past this many cells: they hold one row a run.
MAX_TABLE_CELLS = 5_000_000

# Cells that mean "no value here" (a blank cell in a sparse row), as opposed to a NaN value.
BLANK_WORDS = frozenset({"", "NA", "N/A", "n/a", "na", "null", "NULL", "None", "<NA>", "#N/A"})
# What pandas turns into NaN in a numeric column: the blank words and the spellings of NaN.
NA_WORDS = sorted(BLANK_WORDS | {"nan", "NaN", "NAN", "-nan", "-NaN", "#NA", "#N/A N/A"})


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
