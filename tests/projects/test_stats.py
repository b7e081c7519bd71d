"""projects.stats against numbers computed independently here, and the verdict's refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from projects import stats
from projects.metrics import metric_direction

A = [0.912, 0.905, 0.921, 0.917, 0.909]
B = [0.881, 0.874, 0.893, 0.886]


def test_describe_matches_the_textbook_formulas():
    group = stats.describe("a", A)

    mean = sum(A) / len(A)
    sd = math.sqrt(sum((x - mean) ** 2 for x in A) / (len(A) - 1))
    half = scipy_stats.t.ppf(0.975, len(A) - 1) * sd / math.sqrt(len(A))
    assert group.n == 5
    assert group.mean == pytest.approx(mean)
    assert group.sd == pytest.approx(sd)
    assert (group.ci_low, group.ci_high) == pytest.approx((mean - half, mean + half))


def test_welch_p_value_matches_scipy_unequal_variances():
    expected = scipy_stats.ttest_ind(A, B, equal_var=False).pvalue

    assert stats.welch_p_value(np.array(A), np.array(B)) == pytest.approx(expected)


def test_welch_p_value_differs_from_the_pooled_test_on_unequal_spreads():
    wide, narrow = [1.0, 5.0, 9.0, 2.0, 8.0, 4.0], [5.1, 5.2, 5.3]
    pooled = scipy_stats.ttest_ind(wide, narrow).pvalue

    welch = stats.welch_p_value(np.array(wide), np.array(narrow))

    assert welch == pytest.approx(scipy_stats.ttest_ind(wide, narrow, equal_var=False).pvalue)
    assert welch != pytest.approx(pooled)


def test_hedges_g_matches_the_hand_formula():
    na, nb = len(A), len(B)
    ma, mb = sum(A) / na, sum(B) / nb
    va = sum((x - ma) ** 2 for x in A) / (na - 1)
    vb = sum((x - mb) ** 2 for x in B) / (nb - 1)
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    expected = (ma - mb) / pooled * (1 - 3 / (4 * (na + nb) - 9))

    assert stats.hedges_g(np.array(A), np.array(B)) == pytest.approx(expected)


def test_bootstrap_interval_holds_the_true_difference_and_repeats_exactly():
    rng = np.random.default_rng(7)
    a, b = rng.normal(10.0, 0.5, 8), rng.normal(7.0, 0.5, 8)

    first = stats.bootstrap_diff_interval(a, b)
    second = stats.bootstrap_diff_interval(a, b)

    assert first == second
    low, high = first
    assert low < 3.0 < high
    assert low > 0  # clearly separated groups: the interval leaves out zero
    assert low <= a.mean() - b.mean() <= high


def test_verdict_calls_the_higher_mean_the_winner_when_higher_is_better():
    result = stats.compare(
        stats.describe("augment", A),
        stats.describe("baseline", B),
        metric="val/accuracy",
        direction="higher",
    )

    assert result.winner == "augment"
    assert result.verdict.startswith("augment beats baseline on val/accuracy")
    gap = (sum(A) / len(A) - sum(B) / len(B)) * 100
    assert f": +{gap:.2f} points, 95% CI [" in result.verdict
    assert stats.p_text(result.p_value) in result.verdict


def test_verdict_respects_a_lower_is_better_metric():
    low_loss, high_loss = [0.31, 0.29, 0.30, 0.32], [0.45, 0.47, 0.44, 0.46]

    result = stats.compare(
        stats.describe("augment", high_loss),
        stats.describe("baseline", low_loss),
        metric="val/loss",
        direction="lower",
    )

    assert result.winner == "baseline"
    assert result.verdict.startswith("baseline beats augment on val/loss (lower is better)")
    assert result.diff > 0  # augment − baseline: augment's loss is higher


def test_verdict_refuses_a_winner_below_three_runs_a_group():
    result = stats.compare(
        stats.describe("augment", [0.95, 0.96]),
        stats.describe("baseline", [0.50, 0.51, 0.52]),
        metric="val/accuracy",
        direction="higher",
    )

    assert result.winner is None
    assert "augment has 2 runs" in result.verdict
    assert "at least 3 runs per group" in result.verdict
    assert result.p_value is not None  # the figures are still shown


def test_verdict_refuses_a_winner_when_the_interval_crosses_zero():
    result = stats.compare(
        stats.describe("augment", [0.90, 0.80, 0.95, 0.70]),
        stats.describe("baseline", [0.85, 0.88, 0.75, 0.82]),
        metric="val/accuracy",
        direction="higher",
    )

    assert result.boot_low < 0 < result.boot_high
    assert result.winner is None
    assert "includes zero" in result.verdict
    assert "could be seed-to-seed noise" in result.verdict


def test_nan_values_are_dropped_and_counted():
    group = stats.describe("a", [0.5, float("nan"), 0.7, None, 0.6])

    assert (group.n, group.dropped) == (3, 2)
    assert group.mean == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("a", "b", "winner"),
    [
        ([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], None),  # no spread, same mean
        ([2.0, 2.0, 2.0], [1.0, 1.0, 1.0], "a"),  # no spread, different means
        ([1.0], [2.0, 3.0, 4.0], None),  # one run
        ([], [2.0, 3.0, 4.0], None),  # no run
        ([float("nan")] * 3, [2.0, 3.0, 4.0], None),  # only NaN
    ],
)
def test_degenerate_groups_do_not_crash(a, b, winner):
    result = stats.compare(
        stats.describe("a", a), stats.describe("b", b), metric="score", direction="higher"
    )

    assert result.winner == winner
    assert result.verdict
    if len([v for v in a if v == v]) < 2:
        assert result.hedges_g is None
        assert stats.describe("a", a).sd is None


def test_a_single_run_has_a_mean_but_no_interval():
    group = stats.describe("solo", [0.7])

    assert (group.n, group.mean, group.sd, group.ci_low) == (1, 0.7, None, None)


@pytest.mark.parametrize(
    ("metric", "direction"),
    [
        ("val/loss", "lower"),
        ("error_rate", "lower"),
        ("rmse", "lower"),
        ("val_mae", "lower"),
        ("latency_ms", "lower"),
        ("val/accuracy", "higher"),
        ("f1", "higher"),
        ("auc", "higher"),
        ("r2", "higher"),
        ("precision", "higher"),
        ("recall", "higher"),
    ],
)
def test_metric_direction_defaults_by_name(metric, direction):
    assert metric_direction(metric) == direction


@pytest.mark.parametrize(
    ("p", "cell", "sentence"),
    [
        (0.0004, "< 0.001", "p < 0.001"),
        (0.0123, "0.012", "p = 0.012"),
        (None, "not defined", "p not defined"),
    ],
)
def test_a_p_value_reads_the_same_in_a_cell_and_in_a_sentence(p, cell, sentence):
    assert stats.fmt_p(p) == cell
    assert stats.p_text(p) == sentence


def test_a_clear_win_says_p_below_0_001_without_an_equals_sign():
    result = stats.compare(
        stats.describe("augment", [0.9, 0.901, 0.902, 0.903]),
        stats.describe("baseline", [0.5, 0.501, 0.502, 0.503]),
        metric="acc",
        direction="higher",
    )

    assert "p < 0.001" in result.verdict
    assert "p = <" not in result.verdict
