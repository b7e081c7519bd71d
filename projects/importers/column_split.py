"""Which columns of a runs table (one run a row: W&B runs exports, MLflow runs CSVs) are params
and which are metrics.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..wording import plural
from .report import Report
from .tables import numbers

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
