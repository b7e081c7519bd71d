"""Damaged files (cut short, bytes changed, junk inserted) parse or fail cleanly, never crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.importers import ImportFailed, InputFile, Limits, ParseResult, parse

from .conftest import SAMPLES

SAMPLE_NAMES = [
    "long.csv",
    "keras_training_log.csv",
    "lightning_logs/version_0/metrics.csv",
    "run-resnet-tag-val_loss.csv",
    "run-resnet-tag-val_loss.json",
    "wandb_export_runs.csv",
    "wandb_export_chart.csv",
    "mlflow_runs.csv",
    "mlruns.zip",
    "metrics.jsonl",
]
SMALL = Limits(max_line_bytes=64 * 1024, max_columns=500)


@st.composite
def damaged(draw):
    name = draw(st.sampled_from(SAMPLE_NAMES))
    data = bytearray((SAMPLES / name).read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        how = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if how == "cut":
            del data[where:]
        elif how == "flip" and data:
            data[where] = draw(st.integers(min_value=0, max_value=255))
        elif how == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[where : where + draw(st.integers(min_value=1, max_value=64))]
    return Path(name).name, bytes(data)


def parse_or_fail(tmp_path, name: str, data: bytes) -> ParseResult | ImportFailed:
    path = tmp_path / "upload"
    path.write_bytes(data)
    try:
        return parse([InputFile(path=path, name=name)], limits=SMALL)
    except ImportFailed as failure:
        assert failure.message and failure.message.endswith((".", ")"))
        return failure


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sample=damaged())
def test_a_damaged_sample_parses_or_fails_with_import_failed(tmp_path, sample):
    outcome = parse_or_fail(tmp_path, *sample)
    if isinstance(outcome, ParseResult):
        report = outcome.report
        assert report.rows_read == report.rows_accepted + report.rows_rejected
        assert outcome.points == sum(len(s.steps) for r in outcome.runs for s in r.series.values())


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(["data.csv", "data.json", "data.jsonl", "data.zip", "hparams.yaml"]),
    data=st.one_of(
        st.binary(min_size=1, max_size=512),
        st.text(min_size=1, max_size=512).map(str.encode),
        st.lists(
            st.sampled_from(["run", "step", ",", ";", "\n", "\r\n", '"', "1", "-", "nan", "{"]),
            min_size=1,
            max_size=80,
        ).map(lambda parts: "".join(parts).encode()),
    ),
)
def test_random_input_parses_or_fails_with_import_failed(tmp_path, name, data):
    parse_or_fail(tmp_path, name, data)
