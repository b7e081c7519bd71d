"""Tables with one run a row (tuning results: Optuna trials, scikit-learn candidates).

Shared by optuna.py and sklearn_cv.py: the table read whole as text, each column's role settled
(the importer's guess, or the user's), cells as clean text, one-point metric series.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..wording import quoted
from .choices import Choices, settle_roles
from .dialect import CsvDialect, dialect_notes
from .report import Report
from .series import Series, make_series
from .tables import BLANK_WORDS, numbers, read_whole_table
from .text import TextSource

# Longest text kept for one param or tag value (a repr of a whole estimator can be long).
MAX_VALUE_CHARS = 1_000


@dataclass
class Table:
    """A runs table read whole: its columns as written, cells as text, numbers parsed lazily."""

    dialect: CsvDialect
    cells: np.ndarray  # rows × columns of str | None
    lines: np.ndarray  # file line of each row
    frame: pd.DataFrame
    _numbers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]

    @property
    def columns(self) -> list[str]:
        return self.dialect.columns

    def numbers(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(present, values, bad) for one column: see text.numbers."""
        if index not in self._numbers:
            self._numbers[index] = numbers(self.frame[f"c{index}"], self.dialect.decimal)
        return self._numbers[index]

    def is_numeric(self, index: int) -> bool:
        """Whether every filled cell of the column is a number (and at least one is filled)."""
        present, _, bad = self.numbers(index)
        return bool(present.any()) and not bool(bad.any())

    def text(self, row: int, index: int) -> str:
        return cell_text(self.cells[row, index])


def read(source: TextSource, report: Report, limits) -> Table | None:
    """The whole table as text (None when it has no rows); the dialect's guesses reported."""
    from .dialect import sniff_csv

    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    frame, lines = read_whole_table(source, dialect, report)
    if frame.empty:
        return None
    return Table(dialect, frame.to_numpy(dtype=object), lines, frame, {})


def cell_text(value) -> str:
    """A cell as stripped text, "" for a blank or NA cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text in BLANK_WORDS else text[:MAX_VALUE_CHARS]


def is_index_column(name: str, position: int) -> bool:
    """The row index pandas writes first unless told index=False (blank, or 'Unnamed: 0')."""
    low = name.strip().lower()
    return position == 0 and (not low or low.startswith("unnamed:") or low == "index")


def settle(
    table: Table, guessed: dict[str, tuple[str, str]], report: Report, choices: Choices
) -> dict[int, str]:
    """Role of each column by position: the user's where given, else the guess; all recorded."""
    names = [name or f"column {i + 1}" for i, name in enumerate(table.columns)]
    by_name = settle_roles(names, guessed, report, choices)
    return {i: by_name[name] for i, name in enumerate(names)}


def one_point(
    key: str,
    value: float,
    report: Report,
    *,
    run: str,
    step: int = 0,
    wall_time: float | None = None,
    spread: float | None = None,
) -> Series:
    """A one-point series (a run's final or summary value), with mean ∓ spread as its bounds."""
    lower = upper = None
    if spread is not None and math.isfinite(spread):
        lower, upper = [value - spread], [value + spread]
    wall = None if wall_time is None or not math.isfinite(wall_time) else [wall_time]
    return make_series(
        key, [step], [value], report, run=run, wall_times=wall, lower=lower, upper=upper
    )


def warn_unknown(names: list[str], what: str, report: Report) -> None:
    if names:
        report.warn(f"Columns that are not part of {what} were read as they look: {quoted(names)}.")


def read_dict(text: str, name: str) -> dict[str, str]:
    """A cell holding a dict (JSON, or Python's repr as pandas writes it) as flat text values;
    {name: text} when it is no dict. Python literals are read, never run."""
    value = None
    if len(text) < MAX_VALUE_CHARS:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                value = None
    if not isinstance(value, dict):
        return {name: text}
    return {str(k): str(v) for k, v in value.items()}
