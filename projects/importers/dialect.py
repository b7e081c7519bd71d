"""How a CSV file is written: its delimiter (guessed from the header, or the user's), decimal
mark and header line."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from .formats import ImportFailed
from .limits import Limits
from .report import Report
from .text import TextSource

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {";": "semicolon", "\t": "tab", "|": "vertical bar"}


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
