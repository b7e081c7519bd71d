"""Runs tables, one run a row (W&B runs exports, MLflow runs CSVs): what the columns hold.

Trackers write a runs table as fixed columns (name, state, created ...), then one block of
hyperparameters and one block of final metric values, and do not mark where one block ends.
The boundary is found from the whole header and the values, never from one column's name:

- every other column gets a score, above 0 when it reads as a metric, below 0 as a param.
  Values weigh most: numbers with fractions that differ from run to run read as metrics; text,
  booleans, whole numbers, values repeated across runs (a sweep's settings) and "round" numbers
  (0.001, 3e-4) read as params. A name adds a little (a "/" or a word such as loss or acc: metric;
  lr, seed, batch, max_iter: param; "_" first: W&B's own summary keys).
- every split point of the header is scored (params before it, metrics from it on, or the other
  way round for `mlflow.search_runs()` with its prefixes stripped), and the best split wins. One
  odd column cannot move it: the columns around it outweigh it.
- the split is uncertain only when another split scores almost as well and would put numbers
  elsewhere; then the import stops at a preview.

Text columns are params on both sides (W&B summary can hold text); a metric is a one-point
series. The roles go through `settle_roles`, so the user's choices (preview, --role, API) win.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .choices import Choices, settle_roles
from .data import RunData
from .dates import read_times, utc_from_timestamp
from .report import Report
from .series import Series
from .text import BLANK_WORDS, numbers
from .wording import plural, quoted

METRIC_WORDS = frozenset(
    {
        "loss", "acc", "accuracy", "f1", "auc", "auroc", "precision", "recall", "rmse", "mse",
        "mae", "mape", "r2", "error", "err", "perplexity", "ppl", "bleu", "rouge", "reward",
        "iou", "map", "wer", "cer", "ndcg", "dice", "top1", "top5", "score", "val", "valid",
        "test", "eval", "train", "best", "mean", "std", "entropy", "kl", "fid", "psnr", "ssim",
        "logloss", "likelihood", "return", "throughput", "samples_per_second",
    }
)  # fmt: skip
CONFIG_WORDS = frozenset(
    {
        "lr", "learning", "rate", "seed", "batch", "bs", "size", "epochs", "max", "min", "num",
        "n", "iter", "iters", "iterations", "warmup", "dropout", "decay", "weight", "momentum",
        "beta", "beta1", "beta2", "eps", "epsilon", "layers", "layer", "hidden", "dim", "heads",
        "alpha", "gamma", "lambda", "l1", "l2", "ratio", "depth", "width", "optimizer", "optim",
        "scheduler", "patience", "workers", "gpus", "kernel", "stride", "temperature", "penalty",
        "degree", "estimators", "leaf", "leaves", "split", "features", "units", "channels",
        "embedding", "embed", "clip", "grad", "accumulation", "gradient", "steps", "tol", "c",
        "k", "freq", "interval", "every", "period", "model", "arch", "config", "use", "enable",
    }
)  # fmt: skip
STEP_WORDS = frozenset({"epoch", "step", "global_step", "_step", "iteration"})
SAMPLE = 2000  # rows whose writing is looked at
SMALL = 0.15  # two splits closer than this are a tie (a column scoring near 0)


def words(name: str) -> set[str]:
    """The lower-case words of a column name ("val/top1_acc" -> {"val", "top1", "acc"})."""
    return set(re.split(r"[^a-z0-9]+", name.lower())) - {""}


def looks_like_metric(name: str) -> bool:
    """Whether a column name reads as a logged metric rather than a config key."""
    if "/" in name or name.startswith("_"):
        return True
    return bool(words(name) & METRIC_WORDS)


def text(value) -> str:
    """A cell as stripped text, "" when blank (the MLflow UI's quote before =+-@ removed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    out = str(value).strip()
    if len(out) > 1 and out[0] == "'" and out[1] in "=+-@":
        out = out[1:]
    return "" if out in BLANK_WORDS else out


@dataclass
class Column:
    """One column of a runs table and what its values say."""

    index: int
    name: str  # as written
    label: str  # unique among the table's columns ("alpha", then "alpha (2)")
    low: str
    present: np.ndarray  # cells that hold something
    values: np.ndarray  # floats (NaN for text)
    numeric: bool  # something present and every present cell a number
    score: float = 0.0  # > 0 reads as a metric, < 0 as a param
    hints: list[str] = field(default_factory=list)


def profile(
    names: list[str], frame: pd.DataFrame, decimal: str = ".", only: list[int] | None = None
) -> list[Column]:
    """Columns c0..cN of a text frame, scored (see the module's rules)."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(names):
        count = seen[name] = seen.get(name, 0) + 1
        label = name if count == 1 else f"{name} ({count})"
        if only is not None and index not in only:
            continue
        cells = frame[f"c{index}"]
        present, values, bad = numbers(cells, decimal)
        column = Column(
            index=index,
            name=name,
            label=label,
            low=name.strip().lower(),
            present=present,
            values=values,
            numeric=bool(present.any() and not bad.any()),
        )
        _score(column, cells)
        out.append(column)
    return out


def _score(column: Column, cells: pd.Series) -> None:
    n = int(column.present.sum())
    if n == 0:
        column.hints.append("empty")
        return
    hints = column.hints
    score = 0.0
    name_words = words(column.low)
    if not column.numeric:
        filled = cells[column.present].astype(str).str.strip()
        if column.low.startswith("_"):
            hints.append("W&B's own summary key")
        elif filled.str.startswith("{").all():
            score += 0.5
            hints.append("W&B summary objects ({…})")
        else:
            score -= 0.1
            hints.append("text")
        column.score = score
        return
    values = column.values[column.present]
    # The way numbers are written is read from a sample: enough to tell 5.0 from 5 or 0.001.
    written = cells[column.present].iloc[:SAMPLE].astype(str).str.strip()
    whole = bool(np.all(np.isfinite(values) & (np.floor(values) == values)))
    distinct = len(np.unique(values))
    if column.low.startswith("_"):
        score += 1.0
        hints.append("W&B's own summary key")
    elif column.low in STEP_WORDS or name_words & {"epoch", "step"} == name_words:
        # Trackers log the epoch or step a run ended at; a setting says "epochs", "max_steps".
        column.score = 0.6
        hints.append("the step or epoch the run reached")
        return
    else:
        metric_word = "/" in column.low or bool(name_words & METRIC_WORDS)
        config_word = bool(name_words & CONFIG_WORDS)
        if metric_word and not config_word:
            score += 0.6
            hints.append("named like a metric")
        elif config_word and not metric_word:
            score -= 0.6
            hints.append("named like a setting")
    if whole:
        if (
            written.str.contains(r"\.0+$|e", regex=True).all()
            and not written.str.contains(r"^-?\d+$", regex=True).any()
        ):
            # pandas writes a float column's 5 as 5.0; params are logged as the text given.
            score += 0.7
            hints.append("whole numbers written as floats (5.0)")
        else:
            score -= 0.3
            hints.append("whole numbers")
        if n >= 3 and distinct == 1 and score < 0:
            score -= 0.3
            hints.append("the same in every run")
    else:
        if n >= 3:
            ratio = distinct / n
            if ratio >= 0.8:
                score += 0.6
                hints.append("differs from run to run")
            elif ratio <= 0.5:
                score -= 0.5
                hints.append("repeats across runs")
        digits = written.str.replace(r"[eE].*$", "", regex=True).str.replace(
            r"[^0-9]", "", regex=True
        )
        significant = digits.str.lstrip("0").str.rstrip("0").str.len()
        if bool((significant <= 1).all()):
            score -= 0.4
            hints.append("round numbers (0.001, 3e-4)")
        elif bool((significant >= 4).mean() >= 0.5):
            score += 0.3
            hints.append("many significant digits")
    column.score = score


@dataclass
class Split:
    """Where a block of params meets a block of metrics among some columns."""

    at: int  # position in the candidate list where the second block starts
    certain: bool
    why: str


def find_split(columns: list[Column], *, params_first: bool = True) -> Split:
    """The best split of columns into [params | metrics] (or [metrics | params]), scored."""
    scores = np.array([c.score for c in columns], dtype=np.float64)
    sign = 1.0 if params_first else -1.0
    # Split at k: the first block is columns[:k]. Total = sign * (sum after k - sum before k).
    prefix = np.concatenate(([0.0], np.cumsum(scores)))
    totals = sign * (prefix[-1] - 2 * prefix)
    best = float(totals.max())
    ties = np.flatnonzero(totals >= best - 1e-9)
    at = int(ties[-1] if params_first else ties[0])  # a tie keeps numbers as params
    numeric = np.array([c.numeric for c in columns], dtype=bool)
    close = np.flatnonzero(totals >= best - SMALL)
    moved = [
        k for k in close if numeric[min(k, at) : max(k, at)].any() and k != at
    ]  # another split nearly as good that would move numbers
    certain = not moved
    first, second = ("params", "metrics") if params_first else ("metrics", "params")
    left, right = columns[:at], columns[at:]
    if not right or not left:
        where = f"all {first if not right else second}"
    else:
        where = f"{first} up to “{left[-1].label}”, {second} from “{right[0].label}”"

    def evidence(block, word):
        named = [c for c in block if c.numeric and c.hints][:2]
        return "; ".join(f"“{c.label}”: {', '.join(c.hints)}" for c in named) or word

    why = (
        f"the split that fits the {len(columns)} columns' values and names best "
        f"({where}; e.g. {evidence(left, 'none')} | {evidence(right, 'none')})"
    )
    if not certain:
        alternative = columns[moved[0]].label if moved[0] < len(columns) else "the end"
        why += f"; a split at “{alternative}” fits almost as well"
    return Split(at, certain, why)


@dataclass
class Spec:
    """How to read each column of a runs table: roles and the keys values land under."""

    guessed: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (role, why)
    keys: dict[int, str] = field(default_factory=dict)  # index -> param/metric/tag key
    name_at: int | None = None
    id_at: int | None = None
    start_at: int | None = None
    status_at: int | None = None
    step_at: int | None = None
    wall_at: int | None = None
    deleted_at: int | None = None  # MLflow lifecycle_stage
    labels_at: int | None = None  # W&B "Tags": a comma-separated list of labels
    nameless: str = "the run has no name"  # the rejection of a row without name or id

    def set(self, column: Column, role: str, why: str, key: str | None = None) -> None:
        self.guessed[column.label] = (role, why)
        if key is not None:
            self.keys[column.index] = key


def read_runs(
    columns: list[Column],
    spec: Spec,
    cells: np.ndarray,
    lines: np.ndarray,
    report: Report,
    choices: Choices,
    *,
    tracker: str,
) -> list[RunData]:
    """Build one run a row, reading columns by their settled roles (the user's choices win)."""
    labels = [c.label for c in columns]
    roles = settle_roles(labels, spec.guessed, report, choices)
    by_index = {c.index: roles[c.label] for c in columns}
    for column in columns:
        given = choices.role(column.label)
        if not given or given == spec.guessed.get(column.label, ("",))[0]:
            continue
        # The user moved this column: it is read by its new role, not by the guess.
        for attr in ("name_at", "id_at", "start_at", "status_at", "step_at", "wall_at"):
            if getattr(spec, attr) == column.index:
                setattr(spec, attr, None)
        if given == "run":
            spec.name_at = column.index
        elif given == "time":
            spec.start_at = column.index
        elif given == "step":
            spec.step_at = column.index
        spec.keys[column.index] = column.name
    specials = {
        spec.name_at, spec.id_at, spec.start_at, spec.status_at, spec.step_at, spec.wall_at,
        spec.deleted_at, spec.labels_at,
    }  # fmt: skip
    params = [c for c in columns if by_index[c.index] == "param" and c.index not in specials]
    tags = [c for c in columns if by_index[c.index] == "tag" and c.index not in specials]
    metrics = [c for c in columns if by_index[c.index] == "metric" and c.index not in specials]
    unreadable = [c.label for c in metrics if not c.numeric and c.present.any()]
    if unreadable:
        report.warn(
            f"Columns set as metrics hold text and were read as params: {quoted(unreadable)}."
        )
        params += [c for c in metrics if c.label in unreadable]
        metrics = [c for c in metrics if c.label not in unreadable]
    by_col = {c.index: c for c in columns}
    started = None
    if spec.start_at is not None:
        column = by_col[spec.start_at]
        started = read_times(
            pd.Series(cells[:, spec.start_at]).map(text),
            column=column.name,
            report=report,
            order=choices.date_order,
            lines=lines,
        ).seconds
    steps = np.zeros(len(lines), dtype=np.int64)
    if spec.step_at is not None:
        values = by_col[spec.step_at].values
        ok = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2.0**62)
        steps[ok] = values[ok].astype(np.int64)
    walls = None if spec.wall_at is None else by_col[spec.wall_at].values
    texts = {
        i: clean(cells[:, i])
        for i in {spec.name_at, spec.id_at, spec.status_at, spec.labels_at, spec.deleted_at}
        | {c.index for c in params + tags}
        if i is not None
    }
    empty = [""] * len(lines)
    names, idents = texts.get(spec.name_at, empty), texts.get(spec.id_at, empty)
    tag_cells = [(spec.keys.get(c.index, c.name), c.low, texts[c.index]) for c in tags]
    param_cells = [(spec.keys.get(c.index, c.name), texts[c.index]) for c in params]
    metric_cells = [
        (spec.keys.get(c.index, c.name), c.present.tolist(), c.values.tolist())
        for c in metrics
        if c.numeric
    ]
    runs, deleted = [], 0
    for row, line in enumerate(lines):
        name, ident = names[row], idents[row]
        if not name and not ident:
            report.reject(spec.nameless, int(line))
            continue
        if spec.deleted_at is not None and texts[spec.deleted_at][row] == "deleted":
            deleted += 1
            report.rows_accepted += 1
            continue
        run = RunData(name=name or ident, external_id=ident or name)
        if started is not None:
            run.started_at = utc_from_timestamp(started[row])
        if spec.status_at is not None:
            status = texts[spec.status_at][row]
            run.status = status.upper()
            if status and spec.status_at in spec.keys:
                run.tags[spec.keys[spec.status_at]] = status
        if spec.labels_at is not None:
            for label in texts[spec.labels_at][row].split(","):
                if label.strip():
                    run.tags[label.strip()] = ""
        for key, low, values in tag_cells:
            value = values[row]
            if value and not (low == "notes" and value == "-"):
                run.tags[key] = value
        for key, values in param_cells:
            if values[row]:
                run.params[key] = values[row]
        step = np.array([steps[row]], dtype=np.int64)
        wall = None
        if walls is not None and np.isfinite(walls[row]):
            wall = np.array([walls[row]], dtype=np.float64)
        for key, present, values in metric_cells:
            if present[row]:
                run.series[key] = _one_point(key, step, values[row], wall, report)
        report.rows_accepted += 1
        runs.append(run)
    if deleted:
        report.warn(
            f"{plural(deleted, f'deleted {tracker} run')} {'was' if deleted == 1 else 'were'} "
            "skipped."
        )
    return runs


def clean(values: np.ndarray) -> list[str]:
    """`text()` for a whole column at once: stripped, "" when blank, the UI's quote removed."""
    out = pd.Series(values, dtype=object).fillna("").astype(str).str.strip()
    if out.str.startswith("'").any():
        out = out.str.replace(r"^'(?=[=+\-@])", "", regex=True)
    return out.where(~out.isin(BLANK_WORDS), "").tolist()


def _one_point(key: str, step: np.ndarray, value: float, wall, report: Report) -> Series:
    """make_series for a runs table's single value, without its machinery for long series."""
    if math.isinf(value):
        report._inf += 1
        value = math.nan
    elif math.isnan(value):
        report._nan += 1
        report._nan_series += 1
    return Series(key, step, np.array([value], dtype=np.float64), wall)


def decide_split(
    report: Report, subject: str, split: Split, block: list[Column], params_first: bool
) -> None:
    """Record the params/metrics split as a decision (uncertain when another fits as well)."""
    metrics = block[split.at :] if params_first else block[: split.at]
    params = block[: split.at] if params_first else block[split.at :]
    numeric_metrics = [c for c in metrics if c.numeric]
    choice = (
        f"{plural(len([c for c in params if c.numeric]), 'numeric column')} as params, "
        f"{plural(len(numeric_metrics), 'column')} as metrics"
    )
    report.decide(subject, choice, split.why, certain=split.certain)
