"""Dates and times as result files write them, read into unix seconds, or reported: never dropped.

One entry point, `read_times(values, column=..., report=..., order=...)`, reads a whole column
at once, so an ambiguous form (04-08-2024) is settled by the column's other values (a 13 in the
first place makes it day-month), by the user's choice (`Choices.date_order`), or else recorded as
an uncertain decision that stops the import at a preview.

Read forms:
- numbers: unix seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude;
- ISO 8601 (`2024-04-08`, `2024-04-08T14:28:00.5Z`, `2024-04-08 14:28:00+02:00`), and the same
  with slashes or dots (`2024/04/08 14:28`);
- day-month-year and month-day-year with `-`, `/` or `.` (`08.04.2024`, `4/8/24 2:28 PM`);
- month names (`Apr 8, 2024 14:28`, `8 April 2024`).
Times without a zone are UTC (the file says nothing better; the report says so).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..wording import plural
from .choices import DATE_ORDERS
from .report import Report

# Magnitudes of "now" in each unit: a value past the bound belongs to the next unit.
_EPOCH_UNITS = (
    (1e17, 1e-9, "nanoseconds"),
    (1e14, 1e-6, "microseconds"),
    (1e11, 1e-3, "milliseconds"),
    (0.0, 1.0, "seconds"),
)
_NUMERIC = re.compile(r"^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$")
_DAY_MONTH = re.compile(
    r"^\s*(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?:[ T,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"\s*(?P<ampm>[AaPp][Mm])?)?\s*$"
)
_YEAR_FIRST = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_MONTH_NAME = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE
)


@dataclass
class Times:
    """A column read as unix seconds (NaN where blank or unreadable) and how it was read."""

    seconds: np.ndarray
    form: str  # "empty", "epoch seconds", "ISO 8601", "day-month-year", ...
    unreadable: int = 0
    example: str = ""  # the first value that could not be read


def read_times(
    values,
    *,
    column: str,
    report: Report | None = None,
    order: str = "",
    lines: np.ndarray | None = None,
) -> Times:
    """Read a column of dates or times into unix seconds; the report says how, and what failed."""
    series = pd.Series(values, dtype="object") if not isinstance(values, pd.Series) else values
    series = series.reset_index(drop=True)
    text = series.astype("string").str.strip()
    blank = text.isna() | (text == "") | text.str.lower().isin(["nan", "nat", "none", "null"])
    filled = text[~blank]
    seconds = np.full(len(series), np.nan, dtype=np.float64)
    if filled.empty:
        return Times(seconds, "empty")
    if filled.str.fullmatch(_NUMERIC.pattern).all():
        numbers = pd.to_numeric(filled, errors="coerce").to_numpy(dtype=np.float64)
        scale, unit = _epoch_unit(numbers)
        seconds[~blank.to_numpy()] = numbers * scale
        times = Times(seconds, f"unix {unit}")
        _tell(report, column, times, f"its values are numbers of the size of unix {unit}")
        return times
    if filled.str.match(_YEAR_FIRST.pattern).all():
        parsed = _iso(filled)
        form, why = "ISO 8601", "its values are written year first (2024-04-08)"
    elif filled.str.match(_DAY_MONTH.pattern).mean() >= 0.5:
        parsed, form, why, certain = _day_month(filled, order)
        times = _finish(seconds, blank, parsed, filled, form)
        _tell(report, column, times, why, certain=certain)
        return times
    elif filled.str.contains(_MONTH_NAME.pattern, case=False, regex=True).mean() >= 0.5:
        parsed = pd.to_datetime(filled, format="mixed", errors="coerce", utc=True)
        form, why = "dates with month names", "its values name the month (Apr 8, 2024)"
    else:
        parsed = _iso(filled)
        form, why = "ISO 8601", "its values read as ISO 8601 dates"
    times = _finish(seconds, blank, parsed, filled, form)
    _tell(report, column, times, why)
    return times


def _epoch_unit(numbers: np.ndarray) -> tuple[float, str]:
    finite = np.abs(numbers[np.isfinite(numbers)])
    typical = float(np.median(finite)) if finite.size else 0.0
    for bound, scale, unit in _EPOCH_UNITS:
        if typical > bound:
            return scale, unit
    return 1.0, "seconds"


def _iso(filled: pd.Series) -> pd.Series:
    normalised = filled.str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", regex=True)
    try:
        return pd.to_datetime(normalised, format="ISO8601", errors="coerce", utc=True)
    except (ValueError, TypeError):
        return pd.to_datetime(normalised, format="mixed", errors="coerce", utc=True)


def _day_month(filled: pd.Series, order: str) -> tuple[pd.Series, str, str, bool]:
    """Settle day-month against month-day from the whole column (or the user's order)."""
    parts = filled.astype(object).str.extract(_DAY_MONTH.pattern)
    first, second = _number(parts["a"]), _number(parts["b"])
    first_over = bool((first > 12).any())
    second_over = bool((second > 12).any())
    example = filled.iloc[0]
    certain = True
    if order:
        why = f"the import was told to read dates as {DATE_ORDERS[order]}"
    elif first_over and not second_over:
        order = "dmy"
        why = f"a value such as “{filled[first > 12].iloc[0]}” has a day over 12 first"
    elif second_over and not first_over:
        order = "mdy"
        why = f"a value such as “{filled[second > 12].iloc[0]}” has a day over 12 second"
    else:
        # Nothing in the column settles it (or both orders appear): month-day is the export
        # default of the US-English tools that write this form, but the user must look.
        order = "mdy"
        certain = False
        if first_over and second_over:
            why = "the column has days over 12 in both places, so its dates disagree"
        else:
            why = (
                f"no value says whether “{example}” is day-month or month-day (every number is "
                "12 or less); read as month-day-year"
            )
    day, month = (parts["a"], parts["b"]) if order == "dmy" else (parts["b"], parts["a"])
    year = _number(parts["year"])
    year = year.where(year >= 100, year + np.where(year < 70, 2000, 1900))
    hour = _number(parts["hour"]).fillna(0)
    ampm = parts["ampm"].str.lower()
    hour = hour.where(~((ampm == "pm") & (hour < 12)), hour + 12)
    hour = hour.where(~((ampm == "am") & (hour == 12)), 0)
    frame = pd.DataFrame(
        {
            "year": year,
            "month": _number(month),
            "day": _number(day),
            "hour": hour,
            "minute": _number(parts["minute"]).fillna(0),
            "second": _number(parts["second"]).fillna(0),
        }
    )
    fraction = _number("0" + parts["fraction"].fillna(".0")).fillna(0)
    parsed = pd.to_datetime(frame, errors="coerce", utc=True)
    parsed = parsed + pd.to_timedelta(fraction, unit="s")
    return parsed, DATE_ORDERS[order], why, certain


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _finish(
    seconds: np.ndarray, blank: pd.Series, parsed: pd.Series, filled: pd.Series, form: str
) -> Times:
    parsed = pd.Series(parsed).reset_index(drop=True)
    ok = parsed.notna().to_numpy()
    values = np.full(len(parsed), np.nan, dtype=np.float64)
    # as_unit("ns") then integer division keeps microseconds exact (float seconds of 2024 do).
    nanos = parsed[ok].dt.as_unit("ns").astype("int64").to_numpy()
    values[ok] = nanos // 1_000 / 1e6
    seconds[~blank.to_numpy()] = values
    bad = int((~ok).sum())
    example = str(filled.reset_index(drop=True)[~ok].iloc[0]) if bad else ""
    return Times(seconds, form, bad, example)


def _tell(report: Report | None, column: str, times: Times, why: str, *, certain=True) -> None:
    if report is None:
        return
    zone = "" if times.form.startswith("unix") else "; times without a zone are taken as UTC"
    report.decide(f"dates in “{column}”", times.form, why + zone, certain=certain)
    if times.unreadable:
        report.warn(
            f"{plural(times.unreadable, 'value')} in “{column}” could not be read as "
            f"{times.form} (such as “{times.example}”); those have no time."
        )


def utc_from_timestamp(seconds: float | None) -> datetime | None:
    """A timezone-aware UTC datetime from unix seconds, or None for a missing or absurd value."""
    if seconds is None or not math.isfinite(seconds):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_datetime(text: str) -> datetime | None:
    """ISO-like text ('2026-03-01T10:00:00.000Z', '2026-02-01 09:00:00+00:00') to aware UTC."""
    text = (text or "").strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = float(text)
        return utc_from_timestamp(number / 1000 if abs(number) > 1e11 else number)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Exports without an offset (MLflow's UI) are taken as UTC: the file says nothing better.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
