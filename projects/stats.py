"""Statistics of groups of runs on one metric: pure functions over numbers, no Django.

A group is the values of one metric for the runs that share a param or tag value (for example
the final val/accuracy of three seeds of `model=augment`). The verdict between two groups calls
a winner only when each group has at least MIN_RUNS runs and the bootstrap 95% interval of the
difference of means leaves out zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from .metrics import HIGHER, better_phrase
from .wording import plural

MIN_RUNS = 3
CONFIDENCE = 0.95
RESAMPLES = 10_000
SEED = 20261128
# Metrics read as proportions (0..1): their differences also read as percentage points.
PROPORTION_WORDS = ("acc", "f1", "auc", "precision", "recall", "r2", "iou", "map")


@dataclass(frozen=True)
class GroupSummary:
    label: str
    values: tuple[float, ...]  # the finite values, in the order given
    dropped: int  # NaN or missing values left out
    n: int
    mean: float | None
    sd: float | None  # sample standard deviation (ddof=1); None below two values
    ci_low: float | None  # 95% confidence interval of the mean (t distribution)
    ci_high: float | None


@dataclass(frozen=True)
class Comparison:
    a: GroupSummary
    b: GroupSummary
    metric: str
    direction: str  # "higher" or "lower" is better
    diff: float | None  # mean(a) - mean(b)
    p_value: float | None  # Welch's t-test, two-sided
    boot_low: float | None  # bootstrap 95% interval of mean(a) - mean(b)
    boot_high: float | None
    hedges_g: float | None  # (a - b) / pooled sd, small-sample corrected
    winner: str | None  # a group's label, or None when no winner can be called
    verdict: str


def clean(values: Iterable[float | None]) -> tuple[np.ndarray, int]:
    """The finite values as a float array, and how many were NaN, infinite or missing."""
    raw = np.array([np.nan if v is None else v for v in values], dtype=float)
    finite = raw[np.isfinite(raw)]
    return finite, len(raw) - len(finite)


def describe(label: str, values: Iterable[float | None]) -> GroupSummary:
    """n, mean, standard deviation and the t-based 95% confidence interval of the mean."""
    data, dropped = clean(values)
    n = len(data)
    mean = float(data.mean()) if n else None
    sd = ci_low = ci_high = None
    if n >= 2:
        sd = float(data.std(ddof=1))
        half = float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / math.sqrt(n)
        ci_low, ci_high = mean - half, mean + half
    return GroupSummary(label, tuple(float(v) for v in data), dropped, n, mean, sd, ci_low, ci_high)


def welch_p_value(a: np.ndarray, b: np.ndarray) -> float | None:
    """Two-sided p-value of Welch's t-test; None when it is not defined (n < 2, no spread)."""
    if len(a) < 2 or len(b) < 2:
        return None
    if a.var(ddof=1) == 0 and b.var(ddof=1) == 0:
        return None
    p = float(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)
    return p if math.isfinite(p) else None


def bootstrap_diff_interval(
    a: np.ndarray, b: np.ndarray, *, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float] | None:
    """Percentile bootstrap 95% interval of mean(a) - mean(b), resampling each group apart.

    Seeded, so the same runs always give the same interval.
    """
    if len(a) == 0 or len(b) == 0:
        return None
    rng = np.random.default_rng(seed)
    means_a = a[rng.integers(0, len(a), size=(resamples, len(a)))].mean(axis=1)
    means_b = b[rng.integers(0, len(b), size=(resamples, len(b)))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means_a - means_b, [tail, 100 - tail])
    return float(low), float(high)


def hedges_g(a: np.ndarray, b: np.ndarray) -> float | None:
    """Standardised difference (a - b) / pooled sd, times the small-sample correction J."""
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return None
    pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if pooled == 0:
        return None
    correction = 1 - 3 / (4 * (na + nb) - 9)
    return float((a.mean() - b.mean()) / pooled * correction)


def compare(a: GroupSummary, b: GroupSummary, *, metric: str, direction: str) -> Comparison:
    """Every figure between two groups and a verdict that respects the metric's direction;
    b is the baseline: the difference is a − b."""
    xa, xb = np.array(a.values), np.array(b.values)
    diff = a.mean - b.mean if a.n and b.n else None
    interval = bootstrap_diff_interval(xa, xb)
    p = welch_p_value(xa, xb)
    g = hedges_g(xa, xb)
    winner, verdict = _verdict(a, b, metric, direction, diff, interval, p, g)
    return Comparison(
        a=a,
        b=b,
        metric=metric,
        direction=direction,
        diff=diff,
        p_value=p,
        boot_low=interval[0] if interval else None,
        boot_high=interval[1] if interval else None,
        hedges_g=g,
        winner=winner,
        verdict=verdict,
    )


def fmt(value: float | None, digits: int = 4) -> str:
    """A number as people read it: 4 significant digits, "–" for none."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


def fmt_p(p: float | None) -> str:
    """A p-value for a table cell headed "p": "< 0.001", "0.012" or "not defined"."""
    if p is None:
        return "not defined"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """A p-value in a sentence: "p < 0.001", "p = 0.012" (never "p = < 0.001")."""
    if p is None:
        return "p not defined"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _runs(n: int) -> str:
    return plural(n, "run")


def _is_proportion(metric: str, groups: Iterable[GroupSummary]) -> bool:
    name = metric.lower().rsplit("/", 1)[-1]
    in_range = all(0 <= v <= 1 for g in groups for v in g.values)
    return in_range and any(word in name for word in PROPORTION_WORDS)


def _verdict(a, b, metric, direction, diff, interval, p, g) -> tuple[str | None, str]:
    small = [grp for grp in (a, b) if grp.n < MIN_RUNS]
    if small:
        counts = " and ".join(f"{grp.label} has {_runs(grp.n)}" for grp in small)
        return None, (
            f"No winner can be called on {metric}: {counts} with a value, and at least "
            f"{MIN_RUNS} runs per group are needed before a difference means anything. "
            "Run more seeds."
        )
    low, high = interval
    if diff == 0:
        return None, f"No winner on {metric}: both groups have the same mean ({fmt(a.mean)})."
    if low <= 0 <= high:
        return None, (
            f"No clear winner on {metric}: the 95% interval of the difference "
            f"({a.label} − {b.label}) runs from {fmt(low)} to {fmt(high)} and includes zero, "
            "so the gap between the means could be seed-to-seed noise. More runs would narrow it."
        )
    a_better = (diff > 0) == (direction == HIGHER)
    win, lose = (a, b) if a_better else (b, a)
    sign = 1 if a_better else -1
    gap, ci = sign * diff, sorted((sign * low, sign * high))
    if _is_proportion(metric, (a, b)):
        amount = f"{gap * 100:+.2f} points"
        ci_text = f"[{ci[0] * 100:+.2f}, {ci[1] * 100:+.2f}] points"
    else:
        amount = f"{gap:+.4g}"
        ci_text = f"[{ci[0]:+.4g}, {ci[1]:+.4g}]"
    better = better_phrase(direction)
    text = (
        f"{win.label} beats {lose.label} on {metric} ({better}): {amount}, 95% CI {ci_text}, "
        f"{p_text(p)}"
    )
    if g is not None:
        text += f", Hedges' g = {sign * g:+.2f}"
    text += "."
    if p is not None and p >= 0.05:
        text += (
            f" Welch's test alone would not call it (p ≥ 0.05): with {_runs(min(a.n, b.n))} "
            "in the smaller group, treat the win as tentative."
        )
    elif p is None:
        text += " Every run of each group has the same value, so the t-test is not defined."
    return win.label, text
