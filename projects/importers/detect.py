"""Telling the format of a text file from its first lines, without being told."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass

from ..wording import quoted
from . import hf_trainer, optuna, sklearn_cv
from .dialect import CsvDialect, sniff_csv
from .limits import Limits
from .text import HEAD_BYTES, TextSource

STEP_COLUMNS = ("step", "global_step", "_step", "trainer/global_step", "iteration", "iter", "epoch")
RUN_COLUMNS = ("run", "run_name", "run name", "run_id", "run id")
METRIC_COLUMNS = ("metric", "metric_name", "key", "tag")
VALUE_COLUMNS = ("value",)
TIME_COLUMNS = ("timestamp", "wall_time", "wall time", "time", "_timestamp")
ID_COLUMNS = ("run_id", "run id")
WANDB_FIXED = ("name", "state", "notes", "user", "tags", "created", "runtime", "sweep")
YAML_SUFFIXES = (".yaml", ".yml")
# Columns of mlflow.search_runs() output besides run_id, metrics.*, params.* and tags.*.
MLFLOW_SEARCH_COLUMNS = {
    "experiment_id", "status", "artifact_uri", "start_time", "end_time", "lifecycle_stage",
}  # fmt: skip
SAMPLE_ROWS = 2000


@dataclass
class Sniffed:
    """What a file looked like: its format (None when unknown) and a description for the user."""

    format: str | None
    seen: str


def find(columns: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first of names (in their order of preference) among lowered columns."""
    for name in names:
        if name in columns:
            return columns.index(name)
    return None


def classify_columns(columns: list[str], rows: list[list[str]] | None = None) -> str | None:
    """The CSV format of a table, from its lowered column names and a sample of its rows.

    rows are the first data rows as text cells (sniff passes up to SAMPLE_ROWS); without them
    the header alone decides, as it can.
    """
    tuning = _tuning_table(columns)
    if tuning:
        return tuning
    rows = rows or []
    names = set(columns)
    if len(columns) == 3 and names == {"wall time", "step", "value"}:
        return "tensorboard_csv"
    if (
        find(columns, RUN_COLUMNS) is not None
        and find(columns, METRIC_COLUMNS) is not None
        and find(columns, STEP_COLUMNS) is not None
        and find(columns, VALUE_COLUMNS) is not None
    ):
        return "long_csv"
    if "run_id" in names and any(c.startswith(("metrics.", "params.", "tags.")) for c in names):
        return "mlflow_runs_csv"
    if "run id" in names and ("status" in names or "start time" in names):
        return "mlflow_runs_csv"
    if "run_id" in names and len(names & MLFLOW_SEARCH_COLUMNS) >= 2:
        return "mlflow_runs_csv"  # search_runs() with its metrics./params. prefixes stripped
    if {"name", "state"} <= names and names & {"created", "runtime", "user", "tags", "sweep"}:
        return "wandb_runs"
    step = find(columns, STEP_COLUMNS)
    charted = [" - " in c for c in columns]
    if step is not None and len(columns) > 1:
        others = [c for i, c in enumerate(columns) if i != step]
        if sum(" - " in c for c in others) * 2 >= len(others):
            return "wandb_chart"
    if step is None and any(charted) and not charted[0] and sum(charted) * 2 >= len(columns):
        return "wandb_chart"  # a chart whose x-axis is a custom metric (train/global_step)
    # A runs table has one row a run: a name column whose values are (mostly) distinct. A
    # wide CSV repeats its run's name on every step, and has no "name" column at all.
    for name, fmt in (("name", "wandb_runs"), ("run_id", "mlflow_runs_csv")):
        if (
            name in names
            and (step is None or name == "name" or len(rows) > 1)
            and _mostly_distinct(rows, columns.index(name))
        ):
            return fmt
    if step is not None and len(columns) > 1:
        return "wide_csv"
    return None


def _tuning_table(columns: list[str]) -> str | None:
    """Optuna trials or scikit-learn cv_results_, told from all their column families."""
    if sklearn_cv.looks_like_cv_results(columns):
        return "sklearn_cv_results"
    if optuna.looks_like_trials(columns):
        return "optuna_trials"
    return None


def _mostly_distinct(rows: list[list[str]], index: int) -> bool:
    """Whether a column's sample values are nearly all different (one row each thing)."""
    values = [row[index].strip() for row in rows if len(row) > index and row[index].strip()]
    if len(values) <= 1:
        return len(values) == len(rows) or not rows
    return len(set(values)) >= 0.9 * len(values)


def sample_rows(source: TextSource, dialect: CsvDialect, limit: int = SAMPLE_ROWS) -> list:
    """Up to limit data rows from the head of a file, as lists of text cells."""
    lines = source.head.splitlines()
    if source.size > HEAD_BYTES and len(lines) > dialect.header_line + 2:
        lines = lines[:-1]  # the head may end inside a line
    body = lines[dialect.header_line + 1 : dialect.header_line + 1 + limit]
    try:
        return [row for row in csv.reader(body, delimiter=dialect.delimiter) if row]
    except csv.Error:
        return []


def sniff(source: TextSource, limits: Limits) -> Sniffed:
    """Guess the format of one checked text file."""
    head = source.head.lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        return _sniff_json_array(head)
    if head.startswith("{"):
        return _sniff_json_object(head)
    dialect = sniff_csv(source, limits)
    lowered = dialect.lowered()
    fmt = classify_columns(lowered, sample_rows(source, dialect))
    if fmt:
        return Sniffed(fmt, f"a table with the columns {quoted(dialect.columns)}")
    if len(dialect.columns) > 1:
        return Sniffed(None, f"a table with the columns {quoted(dialect.columns)}")
    first = head.splitlines()[0] if head else ""
    return Sniffed(None, f"text whose first line is “{_shorten(first)}”")


def _sniff_json_array(head: str) -> Sniffed:
    try:
        first, _ = json.JSONDecoder().raw_decode(head[1:].lstrip())
    except (json.JSONDecodeError, RecursionError):
        if head[1:].lstrip().startswith("]"):
            return Sniffed("tensorboard_json", "an empty JSON list")
        return Sniffed(None, "text starting with “[” that is not valid JSON")
    if hf_trainer.looks_like_log_history(first):
        return Sniffed("hf_trainer_state", "a Hugging Face Trainer log_history list")
    if (
        isinstance(first, list)
        and len(first) == 3
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in first)
    ):
        return Sniffed("tensorboard_json", "a JSON list of [wall_time, step, value] triples")
    return Sniffed(
        None,
        f"a JSON list whose first item is {_shorten(json.dumps(first))} "
        "(TensorBoard JSON is [[wall_time, step, value], ...])",
    )


def _sniff_json_object(head: str) -> Sniffed:
    if hf_trainer.looks_like_trainer_state(head):
        return Sniffed("hf_trainer_state", "a Hugging Face trainer_state.json (log_history)")
    first_line = head.split("\n", 1)[0].strip()
    try:
        value = json.loads(first_line)
    except (json.JSONDecodeError, RecursionError):
        value = None
    if isinstance(value, dict):
        return Sniffed("jsonl", "JSON objects, one a line")
    return Sniffed(
        None,
        "a JSON document spread over several lines, not JSON Lines (one object a line, "
        "each with a run, a step and metric values)",
    )


def _shorten(text: str, limit: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_yaml(name: str) -> bool:
    """Whether a file is a YAML companion (Lightning's hparams.yaml) rather than data."""
    return name.lower().endswith(YAML_SUFFIXES)
