"""Telling the format of a text file from its first lines, without being told."""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import hf_trainer, optuna, sklearn_cv
from .base import Limits, quoted
from .text import TextSource, sniff_csv

STEP_COLUMNS = ("step", "global_step", "_step", "trainer/global_step", "iteration", "iter", "epoch")
RUN_COLUMNS = ("run", "run_name", "run name", "run_id", "run id")
METRIC_COLUMNS = ("metric", "metric_name", "key", "tag")
VALUE_COLUMNS = ("value",)
TIME_COLUMNS = ("timestamp", "wall_time", "wall time", "time", "_timestamp")
ID_COLUMNS = ("run_id", "run id")
WANDB_FIXED = ("name", "state", "notes", "user", "tags", "created", "runtime", "sweep")
YAML_SUFFIXES = (".yaml", ".yml")


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


def classify_columns(columns: list[str]) -> str | None:
    """The CSV format a header belongs to, from its lowered column names."""
    tuning = _tuning_table(columns)
    if tuning:
        return tuning
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
    if {"name", "state"} <= names and names & {"created", "runtime", "user", "tags", "sweep"}:
        return "wandb_runs"
    step = find(columns, STEP_COLUMNS)
    if step is not None and len(columns) > 1:
        others = [c for i, c in enumerate(columns) if i != step]
        if sum(" - " in c for c in others) * 2 >= len(others):
            return "wandb_chart"
        return "wide_csv"
    return None


def _tuning_table(columns: list[str]) -> str | None:
    """Optuna trials or scikit-learn cv_results_, told from all their column families."""
    if sklearn_cv.looks_like_cv_results(columns):
        return "sklearn_cv_results"
    if optuna.looks_like_trials(columns):
        return "optuna_trials"
    return None


def sniff(source: TextSource, limits: Limits) -> Sniffed:
    """Guess the format of one checked text file."""
    head = source.head.lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        return _sniff_json_array(head)
    if head.startswith("{"):
        return _sniff_json_object(head)
    dialect = sniff_csv(source, limits)
    lowered = dialect.lowered()
    fmt = classify_columns(lowered)
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
