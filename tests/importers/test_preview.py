"""The preview of an import reads a sample, shows the first rows and each column's role, and
the roles it shows are the ones the import uses with the same choices."""

from __future__ import annotations

import pytest

from projects.importers import Choices, Limits, parse
from projects.importers.dialect import sniff_csv
from projects.importers.preview import preview
from projects.importers.text import prepare_text

AMBIGUOUS = (
    "run,metric,step,value,timestamp,lr\n"
    "a,loss,0,1.0,04-08-2024 10:00,0.1\n"
    "a,loss,1,0.9,05-08-2024 10:00,0.1\n"
    "b,loss,0,1.2,04-08-2024 11:00,0.01\n"
)


def test_the_preview_shows_rows_roles_and_the_uncertain_date(upload):
    shown = preview([upload("runs.csv", AMBIGUOUS)])
    assert shown.format == "long_csv"
    assert shown.delimiter == ","
    assert shown.roles() == {
        "run": "run",
        "metric": "key",
        "step": "step",
        "value": "value",
        "timestamp": "time",
        "lr": "ignore",
    }
    assert shown.rows[0] == ["a", "loss", "0", "1.0", "04-08-2024 10:00", "0.1"]
    assert len(shown.rows) == 3
    assert [d.subject for d in shown.uncertain] == ["dates in “timestamp”"]
    assert shown.has_dates


def test_the_users_roles_are_shown_and_used_by_the_import(upload):
    choices = Choices(roles={"lr": "param"}, date_order="dmy")
    file = upload("runs.csv", AMBIGUOUS)
    shown = preview([file], choices=choices)
    lr = next(c for c in shown.columns if c.name == "lr")
    assert (lr.role, lr.by_user) == ("param", True)
    assert not shown.uncertain
    result = parse([file], choices=choices)
    assert {run.name: run.params for run in result.runs} == {
        "a": {"lr": "0.1"},
        "b": {"lr": "0.01"},
    }
    # Day-month: the 4th of August.
    assert result.runs[0].started_at.month == 8


def test_only_a_sample_is_read_and_twenty_rows_are_shown(upload):
    lines = ["step,loss"] + [f"{i},{1 / (i + 1)}" for i in range(200_000)]
    file = upload("big.csv", "\n".join(lines) + "\n")
    shown = preview([file], sample_bytes=64 * 1024)
    assert shown.sampled
    assert len(shown.rows) == 20
    assert shown.rows[0] == ["0", "1.0"]
    assert shown.roles() == {"step": "step", "loss": "metric"}


def test_the_delimiter_chosen_splits_the_rows(upload):
    body = "epoch;a,b;loss\n0;1,5;0.9\n1;2,5;0.8\n"
    guessed = preview([upload("semi.csv", body)])
    assert guessed.delimiter == ";"
    chosen = preview([upload("semi.csv", body)], choices=Choices(delimiter=","))
    assert chosen.delimiter == ","
    assert [c.name for c in chosen.columns] == ["epoch;a", "b;loss"]


def test_a_delimiter_that_splits_the_header_as_well_as_another_is_uncertain(upload, tmp_path):
    file = upload("t.csv", "step,a;b\n1,2;3\n2,3;4\n")
    dialect = sniff_csv(prepare_text(file.path, file.name, tmp_path, Limits()), Limits())
    assert (dialect.delimiter, dialect.certain) == (",", False)
    assert "semicolon" in dialect.why
    clear = upload("c.csv", "step,loss\n1,2\n")
    assert sniff_csv(prepare_text(clear.path, clear.name, tmp_path, Limits()), Limits()).certain


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"loss": "key"}, "In a wide CSV a column cannot be a key"),
        ({"metric": "metric"}, "In a long CSV a column cannot be a metric"),
    ],
)
def test_a_role_a_table_cannot_take_is_refused_with_a_message(upload, roles, message):
    wide = upload("w.csv", "epoch,loss\n0,1\n1,0.5\n")
    long = upload("l.csv", AMBIGUOUS)
    target = wide if "loss" in roles else long
    shown = preview([target], choices=Choices(roles=roles))
    assert message in shown.error
    assert shown.rows  # the rows are still shown, so the user can choose again


def test_a_wide_csv_records_every_columns_role_and_takes_params(upload):
    file = upload("w.csv", "epoch,model,lr,loss\n0,a,0.1,0.9\n1,a,0.1,0.8\n0,b,0.01,0.95\n")
    result = parse([file])
    assert {c: r for c, (r, _) in result.report.roles.items()} == {
        "epoch": "step",
        "model": "ignore",
        "lr": "metric",
        "loss": "metric",
    }
    assert any(d.subject == "delimiter" for d in result.report.decisions)
    chosen = parse([file], choices=Choices(roles={"model": "run", "lr": "param"}))
    assert {r.name: (r.params, sorted(r.series)) for r in chosen.runs} == {
        "a": ({"lr": "0.1"}, ["loss"]),
        "b": ({"lr": "0.01"}, ["loss"]),
    }
