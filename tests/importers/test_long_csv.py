"""The long CSV: what a messy file is turned into, what is rejected, and a round-trip property."""

from __future__ import annotations

import codecs
import csv
import io
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.importers import InputFile, parse

MESSY_ROWS = [
    "run;metric;step;value;note;",
    "a;loss;0;1.0;first try;",  # line 2
    "a;loss;1;NaN;;",  # 3: a NaN value, kept as a gap
    "a;loss;2;inf;;",  # 4: inf, turned into NaN...
    "a;loss;2;0.5;;",  # 5: ...then repeated: the last one wins
    "a;loss;5;0.4;;",  # 6
    "a;loss;3;0.3;;",  # 7: steps go backwards
    "b;loss;0;abc;;",  # 8: value is not a number
    "b;loss;x;1;;",  # 9: step is not a number
    ";loss;1;1;;",  # 10: no run
    "b;loss;1.5;1;;",  # 11: step is not whole
    "b;loss;1;0.25;;",  # 12
]


def messy_file(upload) -> InputFile:
    body = "\r\n".join(MESSY_ROWS) + "\r\n"
    return upload("messy.csv", codecs.BOM_UTF8 + body.encode("utf-8"))


def warning_with(result, *phrases: str) -> str:
    for warning in result.report.warnings:
        if all(phrase in warning for phrase in phrases):
            return warning
    raise AssertionError(f"no warning with {phrases}: {result.report.warnings}")


def test_a_messy_long_csv_is_read_with_its_problems_reported(upload):
    result = parse([messy_file(upload)])
    assert result.format == "long_csv"
    a, b = result.runs
    loss = a.series["loss"]
    assert loss.steps.tolist() == [0, 1, 2, 5, 3]
    assert loss.values[0] == 1.0 and math.isnan(loss.values[1])
    assert loss.values[2:].tolist() == [0.5, 0.4, 0.3]
    assert b.series["loss"].steps.tolist() == [1]
    assert b.series["loss"].values.tolist() == [0.25]
    assert loss.wall_times is None
    report = result.report
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (11, 7, 4)
    assert {r.reason: r.lines for r in report.rejected} == {
        "the value is not a number": [8],
        "the step is not a number": [9],
        "the run is missing": [10],
        "the step is not a whole number (or is out of range)": [11],
    }


def test_a_messy_long_csv_warns_about_each_kind_of_mess(upload):
    result = parse([messy_file(upload)])
    warning_with(result, "byte-order mark")
    warning_with(result, "Windows line ends")
    warning_with(result, "delimiter", "“;”")
    warning_with(result, "1 value was missing or NaN", "gaps")
    warning_with(result, "1 infinite value", "NaN")
    warning_with(result, "1 point repeated", "the last one of each was kept", "step 2")
    warning_with(result, "Steps go backwards", "run “a”", "from step 5 to 3", "line 7")
    warning_with(result, "Column number 6", "empty")
    warning_with(result, "Unknown columns were ignored", "“note”")


def test_the_report_is_plain_json_data(upload):
    import json

    data = parse([messy_file(upload)]).report.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "rejected",
        "warnings",
        "decisions",
        "roles",
    }
    assert {"reason": "the value is not a number", "count": 1, "lines": [8]} in data["rejected"]


def test_only_the_first_five_lines_of_a_reason_are_kept(upload):
    rows = "".join(f"r,m,{i},oops\n" for i in range(20))
    result = parse([upload("bad.csv", "run,metric,step,value\nr,m,99,1\n" + rows)])
    (rejection,) = result.report.rejected
    assert rejection.count == 20
    assert rejection.lines == [3, 4, 5, 6, 7]


def test_a_file_cut_mid_line_loses_only_its_last_line(upload):
    result = parse([upload("cut.csv", "run,metric,step,value\nr,m,0,1.5\nr,m,1,2.5\nr,m,2")])
    assert result.runs[0].series["m"].steps.tolist() == [0, 1]
    (rejection,) = result.report.rejected
    assert "cut short" in rejection.reason and rejection.lines == [4]


def test_a_last_line_without_newline_but_complete_is_kept(upload):
    result = parse([upload("fine.csv", "run,metric,step,value\nr,m,0,1.5\nr,m,1,2.5")])
    assert result.runs[0].series["m"].steps.tolist() == [0, 1]
    assert result.report.rows_rejected == 0


def test_rows_with_more_fields_than_the_header_are_rejected_with_their_line(upload):
    text = "run,metric,step,value\nr,m,0,1\nr,m,1,2,surprise\n\nr,m,2,3\n"
    result = parse([upload("extra.csv", text)])
    assert result.runs[0].series["m"].steps.tolist() == [0, 2]
    assert [(r.reason, r.lines) for r in result.report.rejected] == [
        ("the row has more fields than the header", [3])
    ]


def test_timestamps_in_milliseconds_or_iso_dates_become_unix_seconds(upload):
    text = (
        "Run,Run ID,metric,step,timestamp,value\n"
        "r,abc123,loss,0,1764000000000,1\n"
        "r,abc123,loss,1,1764000001000,2\n"
    )
    result = parse([upload("mlflow_chart.csv", text)])
    (run,) = result.runs
    assert run.external_id == "abc123"
    assert run.series["loss"].wall_times.tolist() == [1764000000.0, 1764000001.0]
    iso = "run,metric,step,value,wall_time\nr,m,0,1,2026-03-01T10:00:00Z\n"
    series = parse([upload("iso.csv", iso)]).runs[0].series["m"]
    assert series.wall_times.tolist() == [1772359200.0]


def test_a_decimal_comma_file_with_semicolons_is_read(upload):
    text = "run;metric;step;value\nr;m;0;0,5\nr;m;1;1,25\n"
    result = parse([upload("excel.csv", text)])
    assert result.runs[0].series["m"].values.tolist() == [0.5, 1.25]
    warning_with(result, "decimal comma")


def test_progress_goes_from_zero_to_one_without_going_back(upload):
    seen: list[float] = []
    rows = "".join(f"r{i % 7},m{i % 3},{i},{i / 3}\n" for i in range(5000))
    parse([upload("p.csv", "run,metric,step,value\n" + rows)], progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert all(0.0 <= x <= 1.0 for x in seen)


# Names as the format promises them: any printable text without surrounding spaces.
names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
    min_size=1,
    max_size=12,
).filter(lambda s: s == s.strip() and s != "")
finite = st.floats(allow_nan=False, allow_infinity=False)
steps = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@st.composite
def long_tables(draw):
    runs = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    metrics = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(runs), st.sampled_from(metrics), steps, finite),
            min_size=1,
            max_size=40,
            unique_by=lambda row: row[:3],
        )
    )
    return rows


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=long_tables())
def test_any_long_csv_round_trips_exactly(upload, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["run", "metric", "step", "value"])
    writer.writerows((run, metric, step, repr(value)) for run, metric, step, value in rows)
    result = parse([upload("round.csv", buffer.getvalue())])

    expected: dict[str, dict[str, tuple[list, list]]] = {}
    for run, metric, step, value in rows:
        points = expected.setdefault(run, {}).setdefault(metric, ([], []))
        points[0].append(step)
        points[1].append(value)
    got = {
        run.name: {k: (s.steps.tolist(), s.values.tolist()) for k, s in run.series.items()}
        for run in result.runs
    }
    assert got == expected
    assert [run.name for run in result.runs] == list(expected)
    assert result.points == len(rows)
    assert result.report.rows_rejected == 0
    for run in result.runs:
        for series in run.series.values():
            assert series.steps.dtype == np.int64 and series.values.dtype == np.float64
