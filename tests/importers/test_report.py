"""The report of an import: rows rejected for the first check they fail, with their lines."""

from __future__ import annotations

import numpy as np

from projects.importers.report import Report


def test_each_row_is_rejected_once_for_the_first_check_it_fails():
    report = Report()
    lines = np.array([2, 3, 4, 5, 6])
    missing = np.array([False, True, False, True, False])
    not_a_number = np.array([False, True, True, False, False])

    ok = report.reject_rows(
        lines, (("the step is missing", missing), ("the value is not a number", not_a_number))
    )

    assert ok.tolist() == [True, False, False, False, True]
    assert (report.rows_accepted, report.rows_rejected) == (2, 3)
    assert [(r.reason, r.count, r.lines) for r in report.rejected] == [
        ("the step is missing", 2, [3, 5]),
        ("the value is not a number", 1, [4]),
    ]


def test_rows_already_set_aside_are_neither_rejected_nor_accepted():
    report = Report()
    lines = np.array([10, 11, 12])
    kept = np.array([True, False, True])  # line 11 was a repeated header, not data

    ok = report.reject_rows(lines, (("the run is missing", np.array([True, True, False])),), kept)

    assert ok.tolist() == [False, False, True]
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.rejected[0].lines == [10]


def test_a_rejection_names_the_file_being_read_and_keeps_five_lines():
    report = Report()
    report.current_file = "b.csv"
    lines = np.arange(2, 12)

    report.reject_rows(lines, (("the step is missing", np.ones(10, dtype=bool)),))

    (rejection,) = report.rejected
    assert rejection.reason == "b.csv: the step is missing"
    assert (rejection.count, rejection.lines) == (10, [2, 3, 4, 5, 6])
    assert report.rows_accepted == 0
