from __future__ import annotations

import datetime

import pytest

from milestones.quarters import Quarter


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 1, 1), Quarter(2026, 1)),
        (datetime.date(2026, 3, 31), Quarter(2026, 1)),
        (datetime.date(2026, 4, 1), Quarter(2026, 2)),
        (datetime.date(2026, 6, 30), Quarter(2026, 2)),
        (datetime.date(2026, 7, 1), Quarter(2026, 3)),
        (datetime.date(2026, 9, 30), Quarter(2026, 3)),
        (datetime.date(2026, 10, 1), Quarter(2026, 4)),
        (datetime.date(2026, 11, 28), Quarter(2026, 4)),
        (datetime.date(2026, 12, 31), Quarter(2026, 4)),
    ],
)
def test_it_finds_the_quarter_of_a_day(day, expected):
    assert Quarter.of(day) == expected


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (Quarter(2026, 1), datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
        (Quarter(2026, 2), datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)),
        (Quarter(2026, 3), datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)),
        (Quarter(2026, 4), datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)),
        (Quarter(2028, 1), datetime.date(2028, 1, 1), datetime.date(2028, 3, 31)),
    ],
)
def test_it_knows_the_first_and_last_day_of_a_quarter(quarter, start, end):
    assert quarter.start == start
    assert quarter.end == end
    assert quarter.contains(start)
    assert quarter.contains(end)
    assert not quarter.contains(start - datetime.timedelta(days=1))
    assert not quarter.contains(end + datetime.timedelta(days=1))


def test_it_steps_back_from_q1_into_the_previous_year():
    assert Quarter(2027, 1).previous == Quarter(2026, 4)


def test_it_steps_forward_from_q4_into_the_next_year():
    assert Quarter(2026, 4).next == Quarter(2027, 1)


def test_it_steps_within_a_year():
    assert Quarter(2026, 2).previous == Quarter(2026, 1)
    assert Quarter(2026, 2).next == Quarter(2026, 3)


def test_it_comes_back_to_the_same_quarter_after_a_year_of_steps():
    q = Quarter(2026, 3)
    forward = q
    back = q
    for _ in range(4):
        forward = forward.next
        back = back.previous
    assert forward == Quarter(2027, 3)
    assert back == Quarter(2025, 3)


def test_it_orders_quarters_by_time():
    assert Quarter(2026, 4) < Quarter(2027, 1) < Quarter(2027, 2)


def test_it_labels_a_quarter_for_people():
    assert Quarter(2026, 4).label == "Q4 2026"
    assert Quarter(2027, 1).label == "Q1 2027"
    assert Quarter(2026, 4).months == "Oct–Dec"
