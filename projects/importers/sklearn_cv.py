"""scikit-learn: `pd.DataFrame(search.cv_results_).to_csv()`, one candidate a row.

Columns: `mean_fit_time`, `std_fit_time`, `mean_score_time`, `std_score_time`, `param_<name>`,
`params` (the candidate's dict as Python writes it), `split<k>_test_<score>`,
`mean_test_<score>`, `std_test_<score>`, `rank_test_<score>` (`score` for one scorer, the
scorer's name for several), the same with `train` when return_train_score was on, `iter` and
`n_resources` for successive halving, and the pandas index first unless saved with index=False.

Each candidate is a run. Its params are the `param_*` cells (prefix dropped; a blank cell is a
param that candidate's grid does not have), and `iter`/`n_resources`. Its name is the params
that vary between candidates ("C=1, kernel=rbf"), or "candidate <index>" when none vary, the
name would be too long, or two candidates would share it. Each `mean_<...>` is a one-point metric
at step 0 whose lower and upper bounds are mean − std and mean + std (the `std_<...>` column):
the split scores are summarised by that spread and not kept one by one (without a mean column,
the mean and standard deviation of the split scores stand in). `rank_test_*` are tags: a rank
orders candidates, it is no measurement to chart. A candidate whose test scores are all missing
(the fit failed, error_score=nan) has the status FAILED.
"""

from __future__ import annotations

import re
from functools import partial

import numpy as np

from ..wording import plural
from . import rows
from .data import RunData
from .limits import Limits
from .progress import Progress, each_source
from .report import Report

FAMILY = re.compile(r"^(?:(?P<stat>mean|std|rank)_|split(?P<split>\d+)_)(?P<rest>.+)$")
TIMES = ("fit_time", "score_time")
SCORE = re.compile(r"^(test|train)_.+$")
HALVING = ("iter", "n_resources")
MAX_NAME = 120


def _family(low: str) -> tuple[str, str] | None:
    """('mean' | 'std' | 'rank' | 'split', 'test_score') for a cv_results_ score column."""
    match = FAMILY.match(low)
    if not match:
        return None
    rest = match["rest"]
    if rest not in TIMES and not SCORE.match(rest):
        return None
    stat = match["stat"] or "split"
    if stat == "rank" and rest in TIMES:
        return None
    return stat, rest


def looks_like_cv_results(columns: list[str]) -> bool:
    """Whether a lowered header is a cv_results_ table: judged from all its column families."""
    names = [c for i, c in enumerate(columns) if not rows.is_index_column(c, i)]
    families = [_family(c) for c in names]
    tests = any(f and f[1].startswith("test_") and f[0] in ("mean", "split") for f in families)
    params = "params" in names or any(c.startswith("param_") for c in names)
    summary = any(f and (f[0] == "rank" or f[1] in TIMES) for f in families)
    known = [
        c
        for c, f in zip(names, families, strict=True)
        if f or c == "params" or c.startswith("param_") or c in HALVING
    ]
    if not (tests and params):
        return False
    # A rank or a fit time makes it sure; without one, every column must be cv_results_'s.
    return len(known) == len(names) or (summary and len(known) >= 0.8 * len(names))


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read scikit-learn cv_results_ tables: one run a candidate."""
    return each_source(
        plan, report, progress, partial(_parse_file, limits=limits, choices=plan.choices)
    )


def _guess(name: str, position: int, table: rows.Table, has_param_columns: bool):
    low = name.strip().lower()
    if rows.is_index_column(name, position):
        return "ignore", "the row index pandas writes: the candidate's index"
    family = _family(low)
    if family:
        stat, rest = family
        if stat == "mean":
            return "metric", f"the mean over the splits; std_{rest} gives its spread"
        if stat == "std":
            return "ignore", f"the spread (lower and upper bounds) of mean_{rest}"
        if stat == "rank":
            return "tag", "a rank orders the candidates: a tag, not a metric to chart"
        return "ignore", f"summarised by mean_{rest} and std_{rest}"
    if low.startswith("param_"):
        return "param", "a hyperparameter of the candidate (param_ dropped)"
    if low == "params":
        if has_param_columns:
            return "ignore", "the same values as the param_* columns"
        return "param", "the candidate's hyperparameters, read from the dict"
    if low in HALVING:
        return "param", "the successive-halving round and its resources"
    if table.is_numeric(position):
        return "metric", "not a cv_results_ column; its cells are numbers"
    return "param", "not a cv_results_ column; its cells are text"


def _parse_file(
    source, report: Report, progress: Progress, *, limits: Limits, choices
) -> list[RunData]:
    table = rows.read(source, report, limits)
    progress(0.5)
    if table is None:
        return []
    columns = table.columns
    lowered = [c.strip().lower() for c in columns]
    has_param_columns = any(c.startswith("param_") for c in lowered)
    guessed = {
        (name or f"column {i + 1}"): _guess(name, i, table, has_param_columns)
        for i, name in enumerate(columns)
    }
    roles = rows.settle(table, guessed, report, choices)
    unknown = [
        columns[i]
        for i, low in enumerate(lowered)
        if not (
            _family(low)
            or low == "params"
            or low.startswith("param_")
            or low in HALVING
            or rows.is_index_column(low, i)
        )
    ]
    rows.warn_unknown(unknown, "a scikit-learn cv_results_ table", report)

    families: dict[str, dict] = {}
    for i, low in enumerate(lowered):
        family = _family(low)
        if family:
            stat, rest = family
            entry = families.setdefault(rest, {"splits": []})
            if stat == "split":
                entry["splits"].append(i)
            else:
                entry[stat] = i
    # Without a mean column, the split scores stand in (mean and std over the splits, as
    # scikit-learn computes them); with one, the split columns are left to their roles.
    derived = {
        rest: entry
        for rest, entry in families.items()
        if "mean" not in entry
        and entry["splits"]
        and all(roles[i] == "ignore" for i in entry["splits"])
    }
    for rest in derived:
        report.decide(
            f"mean_{rest}",
            "the mean of the split scores",
            f"the table has split scores for {rest} but no mean_{rest} column",
        )
    params = [i for i, r in roles.items() if r == "param"]
    index_at = 0 if rows.is_index_column(columns[0], 0) else None
    names = _names(table, params, index_at, report)
    test_metrics = [i for i, r in roles.items() if r == "metric" and "test_" in lowered[i]]
    runs: list[RunData] = []
    failed = 0
    for row in range(len(table.lines)):
        name = names[row]
        run = RunData(name=name, external_id=_candidate(table, row, index_at))
        for i in params:
            text = table.text(row, i)
            if not text:
                continue
            if lowered[i] == "params":
                run.params.update(rows.read_dict(text, "params"))
            else:
                run.params[_param_key(columns[i])] = text
        for i, role in roles.items():
            if role == "metric":
                present, values, bad = table.numbers(i)
                if not present[row] or bad[row]:
                    continue
                spread = None
                family = _family(lowered[i])
                if family and family[0] == "mean" and "std" in families[family[1]]:
                    _, stds, _ = table.numbers(families[family[1]]["std"])
                    spread = float(stds[row])
                run.series[columns[i]] = rows.one_point(
                    columns[i], float(values[row]), report, run=name, spread=spread
                )
            elif role == "tag":
                text = table.text(row, i)
                if text:
                    run.tags[columns[i]] = text
        for rest, entry in derived.items():
            scores = np.array([table.numbers(i)[1][row] for i in entry["splits"]])
            scores = scores[np.isfinite(scores)]
            if scores.size:
                key = f"mean_{rest}"
                run.series[key] = rows.one_point(
                    key, float(scores.mean()), report, run=name, spread=float(scores.std())
                )
        tests = [k for k in run.series if "test_" in k.lower()]
        if (test_metrics or any(r.startswith("test_") for r in derived)) and not tests:
            run.status = "FAILED"
            failed += 1
        report.rows_accepted += 1
        runs.append(run)
    if failed:
        report.decide(
            "status",
            f"{plural(failed, 'candidate')} FAILED",
            "every test score of those candidates is missing: scikit-learn's mark of a failed fit",
        )
    progress(1.0)
    return runs


def _param_key(name: str) -> str:
    return name[len("param_") :] if name.lower().startswith("param_") else name


def _candidate(table: rows.Table, row: int, index_at: int | None) -> str:
    if index_at is not None:
        text = table.text(row, index_at)
        if re.fullmatch(r"\d+", text):
            return f"candidate {text}"
    return f"candidate {row}"


def _names(table: rows.Table, params: list[int], index_at: int | None, report: Report):
    """Each candidate's name from the params that vary, or its index when that cannot tell."""
    varying = [
        i for i in params if len({table.text(row, i) for row in range(len(table.lines))}) > 1
    ]
    # Pipeline params (clf__C, prep__num__strategy) are named by their last part when those
    # parts tell them apart.
    keys = [_param_key(table.columns[i]) for i in varying]
    short = [key.rsplit("__", 1)[-1] for key in keys]
    if len(set(short)) == len(short):
        keys = short
    labels = []
    for row in range(len(table.lines)):
        parts = []
        for i, key in zip(varying, keys, strict=True):
            text = table.text(row, i)
            if text:
                parts.append(text if key.lower() == "params" else f"{key}={text}")
        labels.append(", ".join(parts))
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    names = []
    for row, label in enumerate(labels):
        candidate = _candidate(table, row, index_at)
        if not label or len(label) > MAX_NAME or counts[label] > 1:
            names.append(candidate)
        else:
            names.append(label)
    if varying:
        report.decide(
            "run name",
            "the varying params (" + ", ".join(keys) + ")",
            "each row is a candidate; its params that differ from the others tell it apart "
            "(“candidate <index>” where they cannot)",
        )
    else:
        report.decide("run name", "candidate <index>", "no param varies between the candidates")
    return names
