"""Dates as result files write them: every common form reads back to the instant it was written."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projects.importers.dates import read_times
from projects.importers.report import Report

UTC = dt.UTC
# Instants to the second between 1990 and 2060, in UTC: what training logs hold.
instants = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=UTC)
)

# How each supported form writes an instant, and whether a column of them is always settled.
FORMS = {
    "iso_t_z": lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "iso_space_offset": lambda m: m.strftime("%Y-%m-%d %H:%M:%S+00:00"),
    "iso_slashes": lambda m: m.strftime("%Y/%m/%d %H:%M:%S"),
    "epoch_seconds": lambda m: str(int(m.timestamp())),
    "epoch_milliseconds": lambda m: str(int(m.timestamp()) * 1000),
    "epoch_microseconds": lambda m: str(int(m.timestamp()) * 1_000_000),
    "day_month_dots": lambda m: m.strftime("%d.%m.%Y %H:%M:%S"),
    "month_day_slashes": lambda m: m.strftime("%m/%d/%Y %H:%M:%S"),
    "month_day_am_pm": lambda m: m.strftime("%m/%d/%Y %I:%M:%S %p"),
    "month_names": lambda m: m.strftime("%b %d, %Y %H:%M:%S"),
}
ORDER = {"day_month_dots": "dmy", "month_day_slashes": "mdy", "month_day_am_pm": "mdy"}


def _expected(moments) -> np.ndarray:
    return np.array([m.timestamp() for m in moments])


@pytest.mark.parametrize("form", FORMS)
@settings(max_examples=40, deadline=None)
@given(moments=st.lists(instants, min_size=1, max_size=30))
def test_every_form_reads_back_to_the_instant_written(form, moments):
    written = [FORMS[form](m) for m in moments]
    report = Report()

    times = read_times(written, column="when", report=report, order=ORDER.get(form, ""))

    assert times.unreadable == 0
    np.testing.assert_array_equal(times.seconds, _expected(moments))
    assert report.decisions and report.decisions[0].subject == "dates in “when”"


def test_a_day_over_twelve_first_settles_the_whole_column_as_day_month():
    report = Report()

    times = read_times(["04-08-2024 14:28", "13-08-2024 09:00"], column="Start Time", report=report)

    assert times.form == "day-month-year"
    assert times.seconds[0] == dt.datetime(2024, 8, 4, 14, 28, tzinfo=UTC).timestamp()
    assert report.uncertain == []
    assert "13-08-2024 09:00" in report.decisions[0].why


def test_a_day_over_twelve_second_settles_the_whole_column_as_month_day():
    times = read_times(["04-08-2024 14:28", "04-18-2024 2:05 PM"], column="Start Time")

    assert times.form == "month-day-year"
    assert times.seconds[1] == dt.datetime(2024, 4, 18, 14, 5, tzinfo=UTC).timestamp()


def test_a_column_that_cannot_tell_day_from_month_is_an_uncertain_decision():
    report = Report()

    read_times(["04-08-2024 14:28", "05-08-2024 10:00"], column="Start Time", report=report)

    assert [d.subject for d in report.uncertain] == ["dates in “Start Time”"]
    assert "day-month or month-day" in report.uncertain[0].why


def test_the_users_order_settles_an_ambiguous_column_for_certain():
    report = Report()

    times = read_times(["04-08-2024 14:28"], column="Start Time", report=report, order="dmy")

    assert times.seconds[0] == dt.datetime(2024, 8, 4, 14, 28, tzinfo=UTC).timestamp()
    assert report.uncertain == []


def test_values_that_are_not_dates_are_counted_and_named_never_dropped_silently():
    report = Report()

    times = read_times(["2024-04-08 10:00", "yesterday", ""], column="time", report=report)

    assert times.unreadable == 1
    assert np.isnan(times.seconds[1]) and np.isnan(times.seconds[2])
    assert "1 value in “time” could not be read" in report.warnings[0]
    assert "yesterday" in report.warnings[0]


def test_an_offset_is_honoured_and_a_missing_zone_is_said_to_be_utc():
    report = Report()

    times = read_times(["2024-04-08T14:28:00+02:00"], column="t", report=report)

    assert times.seconds[0] == dt.datetime(2024, 4, 8, 12, 28, tzinfo=UTC).timestamp()
    assert "taken as UTC" in report.decisions[0].why


def test_an_empty_column_reads_as_no_times_and_decides_nothing():
    report = Report()

    times = read_times(["", None, "NaN"], column="t", report=report)

    assert times.form == "empty" and np.isnan(times.seconds).all()
    assert report.decisions == []
