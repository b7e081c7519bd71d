"""Hugging Face Trainer: the `trainer_state.json` saved with every checkpoint.

A JSON object: `log_history` (a list of entries, each with `step` and `epoch`; training entries
hold `loss`, `learning_rate`, `grad_norm`...; evaluation entries `eval_loss`, `eval_accuracy`,
`eval_runtime`...; after training, one summary entry with `train_runtime`, `train_loss`,
`total_flos`...), and the state: `global_step`, `max_steps`, `num_train_epochs`,
`train_batch_size`, `logging_steps`, `eval_steps`, `save_steps`, `best_metric`,
`best_model_checkpoint`, `trial_name`, `trial_params`...

One file is one run. Each number logged in the entries is a metric, a series over the steps of
the entries that hold it (training and evaluation entries log at different steps: no padding);
the summary entry's numbers are one-point series at its step. `epoch` is not a metric. The
settings (`max_steps`, `num_train_epochs`, `train_batch_size`, `*_steps`, and the `trial_params`
of a hyperparameter search under their own names) are params; the state (`global_step`,
`epoch`, `best_model_checkpoint`, `best_global_step`, `trial_name`) are tags `hf.<key>`;
`best_metric` is a one-point metric at the best step. The status is FINISHED when the summary
entry is there, else "" (a checkpoint saved while training ran). The run's name is the upload's
run name, else the output folder (the folder holding `checkpoint-N`, or the folder of
`best_model_checkpoint`), else the file's folder, else the file's stem.
"""

from __future__ import annotations

import json
import math
import re
from functools import partial
from pathlib import PurePosixPath

import numpy as np

from ..wording import plural, quoted
from .choices import settle_roles
from .data import RunData, flatten
from .formats import ImportFailed
from .limits import Limits, check_point_count, check_series_count
from .names import GENERIC_FOLDERS
from .progress import Progress, each_source
from .report import Report
from .series import make_series

# A trainer_state.json is read whole; past this size it would cost too much memory as objects.
MAX_JSON_BYTES = 64 * 1024 * 1024
PARAM_KEYS = (
    "max_steps",
    "num_train_epochs",
    "train_batch_size",
    "logging_steps",
    "eval_steps",
    "save_steps",
)
TAG_KEYS = (
    "global_step",
    "epoch",
    "best_global_step",
    "best_model_checkpoint",
    "trial_name",
    "num_input_tokens_seen",
)
IGNORED_KEYS = (
    "log_history",
    "is_hyper_param_search",
    "stateful_callbacks",
    "is_local_process_zero",
    "is_world_process_zero",
    "total_flos",
    "trial_params",
    "best_metric",
)
# Keys that say a JSON object is a trainer state, beside log_history.
STATE_KEYS = frozenset(
    {*PARAM_KEYS, *TAG_KEYS, *IGNORED_KEYS, "best_metric"} - {"log_history", "epoch"}
)
# Only the summary written when training ends has these (old versions logged total_flos often).
SUMMARY_KEYS = ("train_runtime", "train_samples_per_second")
_LOG_HISTORY = re.compile(r'"log_history"\s*:\s*\[')


def looks_like_trainer_state(head: str) -> bool:
    """Whether the start of a JSON object is a trainer_state.json: log_history and state keys."""
    if not _LOG_HISTORY.search(head):
        return False
    keys = set(re.findall(r'"([a-z_]+)"\s*:', head))
    # The list alone could be anyone's; a trainer's state key or a logged step beside it is not.
    return bool(keys & STATE_KEYS) or "step" in keys


def looks_like_log_history(first) -> bool:
    """Whether the first item of a JSON list is a Trainer log entry (state.log_history saved
    on its own): a whole-number step beside the trainer's logged keys."""
    if not isinstance(first, dict) or isinstance(first.get("step"), bool):
        return False
    logged = {"loss", "learning_rate", "eval_loss", "train_runtime", "grad_norm", "epoch"}
    return isinstance(first.get("step"), int) and len(logged & set(first)) >= 2


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read trainer_state.json files: one run each."""
    return each_source(plan, report, progress, partial(_parse_file, choices=plan.choices))


def _load(source) -> dict:
    if source.size > MAX_JSON_BYTES:
        raise ImportFailed(
            f"“{source.name}” is a trainer_state.json of {source.size / 2**20:,.0f} MB; Cairn "
            f"reads these up to {MAX_JSON_BYTES // 2**20} MB."
        )
    with source.open() as handle:
        text = handle.read()
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            f"“{source.name}” is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); a trainer_state.json cut off while it was written looks like this."
        ) from None
    if isinstance(state, list):
        return {"log_history": state}  # trainer.state.log_history saved on its own
    if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
        raise ImportFailed(
            f"“{source.name}” is not a Hugging Face trainer_state.json: it needs a "
            "“log_history” list of logged entries."
        )
    return state


def _number(value) -> float | None:
    """A logged number (bool is not one); NaN for JSON's NaN, None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _parse_file(source, report: Report, progress: Progress, *, choices) -> list[RunData]:
    state = _load(source)
    progress(0.3)
    history = state["log_history"]
    run = RunData(name=_run_name(source, state, report))
    report.rows_read += len(history)

    keys: dict[str, None] = {}
    for entry in history:
        if isinstance(entry, dict):
            keys.update(dict.fromkeys(str(k) for k in entry))
    summary_at = next(
        (
            i
            for i in range(len(history) - 1, -1, -1)
            if isinstance(history[i], dict) and any(k in history[i] for k in SUMMARY_KEYS)
        ),
        None,
    )
    summary_only = set(history[summary_at]) if summary_at is not None else set()
    for number, entry in enumerate(history):
        if number != summary_at and isinstance(entry, dict):
            summary_only -= set(entry)
    guessed = {key: _guess(key, key in summary_only) for key in keys}
    roles = settle_roles(list(keys), guessed, report, choices)
    step_key = next((k for k, r in roles.items() if r == "step"), None)
    if step_key is None:
        raise ImportFailed(
            f"The entries of “{source.name}” have no “step”; Cairn cannot place their values."
        )

    collected: dict[str, tuple[list[int], list[float]]] = {}
    ignored: dict[str, None] = {}
    for number, entry in enumerate(history):
        if not isinstance(entry, dict):
            report.reject("the log entry is not a JSON object", number + 1)
            continue
        step = _number(entry.get(step_key))
        if step is None or not math.isfinite(step) or step != int(step):
            report.reject(f"the log entry has no whole-number “{step_key}”", number + 1)
            continue
        report.rows_accepted += 1
        for key, value in entry.items():
            role = roles.get(key)
            if role == "metric":
                number_value = _number(value)
                if number_value is None:
                    if value is not None:
                        ignored[key] = None
                    continue
                steps, values = collected.setdefault(key, ([], []))
                if steps and steps[-1] == int(step) and _same(values[-1], number_value):
                    continue  # logged again at the same step (tokens seen, in train and eval)
                steps.append(int(step))
                values.append(number_value)
            elif role in ("param", "tag") and value is not None:
                (run.params if role == "param" else run.tags)[key] = str(value)[:1000]
    if ignored:
        report.warn(f"Logged values that are not numbers were skipped: {quoted(ignored)}.")
    check_series_count(len(collected), source.name)
    check_point_count(sum(len(s) for s, _ in collected.values()), source.name)
    for key, (steps, values) in collected.items():
        run.series[key] = make_series(
            key, np.array(steps), np.array(values), report, run=run.name, wall_times=None
        )
    progress(0.8)
    _state(run, state, report)
    if summary_at is not None:
        run.status = "FINISHED"
    else:
        last = max((steps[-1] for steps, _ in collected.values() if steps), default=0)
        where = f"step {state.get('global_step', last)}"
        if state.get("max_steps"):
            where += f" of {state['max_steps']}"
        report.warn(
            f"“{source.name}” has no final training summary (train_runtime): it was saved at "
            f"{where}, before training ended, so the run's status is not known."
        )
    kinds = _entry_kinds(history)
    report.decide(
        "metrics",
        "each logged number a series over its own steps",
        f"log_history has {kinds}; entries log different metrics at different steps",
    )
    progress(1.0)
    return [run]


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _guess(key: str, summary: bool) -> tuple[str, str]:
    if key == "step":
        return "step", "the trainer's global step of the entry"
    if key == "epoch":
        return "ignore", "the epoch at that step (the step places the points)"
    if summary:
        return "metric", "in the final training summary: one point at its step"
    if key.startswith("eval_"):
        return "metric", "logged at each evaluation: a series over the evaluation steps"
    return "metric", "logged during training: a series over the logging steps"


def _state(run: RunData, state: dict, report: Report) -> None:
    """The top-level fields: settings as params, where training stood as tags."""
    for key in PARAM_KEYS:
        value = state.get(key)
        if value is not None and not isinstance(value, dict | list):
            run.params[key] = str(value)
    trial = state.get("trial_params")
    if isinstance(trial, dict):
        run.params.update(flatten(trial, budget=1000))
    for key in TAG_KEYS:
        value = state.get(key)
        if value is not None and not isinstance(value, dict | list):
            run.tags[f"hf.{key}"] = str(value)
    best = _number(state.get("best_metric"))
    if best is not None and math.isfinite(best) and "best_metric" not in run.series:
        step = state.get("best_global_step") or _checkpoint_step(state.get("best_model_checkpoint"))
        step = step if isinstance(step, int) and not isinstance(step, bool) else 0
        run.series["best_metric"] = make_series(
            "best_metric", [step], [best], report, run=run.name, wall_times=None
        )
    other = [
        k
        for k, v in state.items()
        if k not in (*PARAM_KEYS, *TAG_KEYS, *IGNORED_KEYS) and not isinstance(v, dict | list)
    ]
    for key in other:
        if state[key] is not None:
            run.params[key] = str(state[key])[:1000]


def _checkpoint_step(path) -> int | None:
    match = re.search(r"checkpoint-(\d+)/?$", str(path or ""))
    return int(match.group(1)) if match else None


def _entry_kinds(history: list) -> str:
    train = sum(1 for e in history if isinstance(e, dict) and "loss" in e)
    evals = sum(1 for e in history if isinstance(e, dict) and any(k.startswith("eval_") for k in e))
    parts = [plural(train, "training entry", "training entries")]
    parts.append(plural(evals, "evaluation entry", "evaluation entries"))
    return " and ".join(parts)


def _run_name(source, state: dict, report: Report) -> str:
    if source.run_name:
        report.decide("run name", source.run_name, "the run name given with the upload")
        return source.run_name
    folders = [p for p in PurePosixPath(source.name.replace("\\", "/")).parent.parts if p != "."]
    if not folders and source.path.parent.name.startswith("checkpoint-"):
        folders = [source.path.parent.parent.name, source.path.parent.name]
    if folders and re.fullmatch(r"checkpoint-\d+", folders[-1]) and len(folders) > 1:
        name, why = folders[-2], f"the output folder holding “{folders[-1]}”"
    elif (
        folders
        and not re.fullmatch(r"checkpoint-\d+", folders[-1])
        and folders[-1].lower() not in GENERIC_FOLDERS
    ):
        name, why = folders[-1], "the folder of the file"
    else:
        best = str(state.get("best_model_checkpoint") or "").replace("\\", "/").rstrip("/")
        parts = [p for p in PurePosixPath(best).parts if p not in (".", "/")]
        if len(parts) > 1 and re.fullmatch(r"checkpoint-\d+", parts[-1]):
            name, why = parts[-2], "the output folder of best_model_checkpoint"
        elif folders:
            name, why = folders[-1], "the folder of the file"
        else:
            name, why = PurePosixPath(source.name).stem, "the file's name (it names no folder)"
    report.decide("run name", name, why)
    return name
