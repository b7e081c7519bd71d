"""One metric of one run as columnar arrays, built with the checks every format shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .report import MAX_EXAMPLES, Report


@dataclass
class Series:
    """One metric of one run, as columnar arrays in file order."""

    key: str
    steps: np.ndarray
    values: np.ndarray
    wall_times: np.ndarray | None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    # last/min/max/count when known already (series_in_groups computes them for all at once).
    summary: dict | None = None


def make_series(
    key: str,
    steps,
    values,
    report: Report,
    *,
    run: str,
    wall_times=None,
    lower=None,
    upper=None,
    lines=None,
) -> Series:
    """Build a Series, counting NaN/inf, flagging backward steps and keeping the last duplicate."""
    steps = np.asarray(steps, dtype=np.int64)
    values = np.array(values, dtype=np.float64)
    extras = [wall_times, lower, upper]
    extras = [None if a is None else np.array(a, dtype=np.float64) for a in extras]
    infinite = np.isinf(values)
    if infinite.any():
        report._inf += int(infinite.sum())
        values[infinite] = np.nan
    missing = int(np.isnan(values).sum()) - int(infinite.sum())
    if missing:
        report._nan += missing
        report._nan_series += 1
    for bound in extras[1:]:
        if bound is not None:
            bound[np.isinf(bound)] = np.nan
    if steps.size > 1:
        gaps = np.diff(steps)
        back = np.flatnonzero(gaps < 0)
        if back.size:
            report._backwards += 1
            if len(report._backwards_examples) < MAX_EXAMPLES:
                i = int(back[0])
                where = f" (line {int(lines[i + 1])})" if lines is not None else ""
                report._backwards_examples.append(
                    f"run “{run}”, metric “{key}” from step {steps[i]} to {steps[i + 1]}{where}"
                )
        if back.size or (gaps == 0).any():
            # Keep the last occurrence of each step, the rest stay in file order.
            _, first_in_reversed = np.unique(steps[::-1], return_index=True)
            keep = np.sort(steps.size - 1 - first_in_reversed)
            if keep.size < steps.size:
                dropped = np.setdiff1d(np.arange(steps.size), keep)
                report._dups += int(dropped.size)
                if len(report._dup_examples) < MAX_EXAMPLES:
                    report._dup_examples.append(
                        f"e.g. run “{run}”, metric “{key}”, step {steps[dropped[0]]}"
                    )
                steps, values = steps[keep], values[keep]
                extras = [None if a is None else a[keep] for a in extras]
    wall, low, high = extras
    return Series(key=key, steps=steps, values=values, wall_times=wall, lower=low, upper=high)


def series_in_groups(
    keys: list[str],
    runs: list[str],
    starts: np.ndarray,
    steps: np.ndarray,
    values: np.ndarray,
    report: Report,
    *,
    wall_times: np.ndarray | None = None,
    lines: np.ndarray | None = None,
) -> list[Series]:
    """make_series for many series lying end to end in the same arrays (series i starts at
    starts[i] and ends where the next starts).

    The checks run once over the whole arrays; a series with every value finite and its steps
    strictly rising is taken as a view, and only the others go through make_series.
    """
    if not len(starts):
        return []
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    needs_care = ~np.isfinite(values)
    needs_care[1:] |= steps[1:] <= steps[:-1]
    needs_care[starts] = ~np.isfinite(values[starts])  # a first point has nothing before it
    care = np.logical_or.reduceat(needs_care, starts)
    ends = np.append(starts[1:], steps.size)
    # The summary of a clean series (every value finite) in one pass for all of them.
    lows = np.minimum.reduceat(values, starts).tolist()
    highs = np.maximum.reduceat(values, starts).tolist()
    lasts = values[ends - 1].tolist()
    out = []
    bounds = zip(starts.tolist(), ends.tolist(), strict=True)
    for i, (start, end) in enumerate(bounds):
        wall = None if wall_times is None else wall_times[start:end]
        if care[i]:
            out.append(
                make_series(
                    keys[i],
                    steps[start:end],
                    values[start:end],
                    report,
                    run=runs[i],
                    wall_times=wall,
                    lines=None if lines is None else lines[start:end],
                )
            )
        else:
            summary = {"last": lasts[i], "min": lows[i], "max": highs[i], "count": end - start}
            clean = Series(keys[i], steps[start:end], values[start:end], wall, summary=summary)
            out.append(clean)
    return out
