"""The normalised result of an import (runs, series, report) and the helpers every format uses."""

from __future__ import annotations

import math
import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import yaml

IMPORTER_VERSION = "1.0"

FORMATS: dict[str, str] = {
    "long_csv": "long CSV (run, metric, step, value)",
    "wide_csv": "wide CSV (Keras CSVLogger, Lightning metrics.csv)",
    "tensorboard_csv": "TensorBoard CSV (Wall time, Step, Value)",
    "tensorboard_json": "TensorBoard JSON",
    "wandb_runs": "W&B runs table CSV",
    "wandb_chart": "W&B chart CSV",
    "mlflow_runs_csv": "MLflow runs CSV",
    "mlflow_zip": "MLflow mlruns/ folder (zipped)",
    "jsonl": "JSON Lines",
    "hf_trainer_state": "Hugging Face Trainer trainer_state.json",
    "optuna_trials": "Optuna trials_dataframe() CSV",
    "sklearn_cv_results": "scikit-learn cv_results_ CSV",
}

# How many line numbers a rejection reason keeps, and how many examples a warning names.
MAX_LINES_SHOWN = 5
MAX_EXAMPLES = 3
# Each series becomes a database row and objects in memory: a file naming millions of runs
# is refused rather than allowed to exhaust the worker.
MAX_SERIES = 200_000
# Points cost about 30 bytes each while they are gathered; this keeps one import under ~1 GB.
MAX_POINTS = 25_000_000


class ImportFailed(Exception):
    """Input that Cairn cannot import; .message is a sentence to show the user as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# What a column of a table can be made to hold; the preview offers these, the command line takes
# them as --role COLUMN=ROLE and the API as roles={"COLUMN": "ROLE"}.
ROLES: dict[str, str] = {
    "run": "run name",
    "step": "step",
    "time": "time",
    "param": "parameter",
    "metric": "metric",
    "tag": "tag",
    "key": "metric name (long tables)",
    "value": "metric value (long tables)",
    "ignore": "ignored",
}
DATE_ORDERS: dict[str, str] = {"dmy": "day-month-year", "mdy": "month-day-year"}


@dataclass(frozen=True)
class Choices:
    """How the user said to read the files; empty means "decide, and say how"."""

    roles: dict[str, str] = field(default_factory=dict)  # column name -> a key of ROLES
    date_order: str = ""  # "", or a key of DATE_ORDERS for dates like 04-08-2024
    delimiter: str = ""  # "", or the one character that separates a CSV's columns
    # The user saw the guesses (in the preview, or with --yes) and lets them stand.
    confirmed: bool = False

    def __post_init__(self):
        bad = {c: r for c, r in self.roles.items() if r not in ROLES}
        if bad:
            column, role = next(iter(bad.items()))
            raise ImportFailed(
                f"“{role}” is not a column role (column “{column}”); roles are: {', '.join(ROLES)}."
            )
        if self.date_order and self.date_order not in DATE_ORDERS:
            raise ImportFailed(
                f"“{self.date_order}” is not a date order; use {' or '.join(DATE_ORDERS)}."
            )
        if self.delimiter and len(self.delimiter) != 1:
            raise ImportFailed("The delimiter is one character, such as “,” or “;”.")

    def role(self, column: str) -> str | None:
        """The role the user gave this column, or None."""
        return self.roles.get(column)

    def as_dict(self) -> dict:
        """Plain JSON data, kept on the import and shown in its provenance."""
        out: dict = {}
        if self.roles:
            out["roles"] = dict(self.roles)
        for name in ("date_order", "delimiter"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.confirmed:
            out["confirmed"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict | None) -> Choices:
        """Choices from as_dict() output (or a user's JSON); unknown keys are refused."""
        data = dict(data or {})
        known = {"roles", "date_order", "delimiter", "confirmed"}
        unknown = set(data) - known
        if unknown:
            raise ImportFailed(f"Unknown import choice {quoted(sorted(unknown))}.")
        roles = data.get("roles") or {}
        if not isinstance(roles, dict):
            raise ImportFailed("Column roles are a mapping of column name to role.")
        return cls(
            roles={str(k): str(v) for k, v in roles.items()},
            date_order=str(data.get("date_order") or ""),
            delimiter=str(data.get("delimiter") or ""),
            confirmed=bool(data.get("confirmed")),
        )


@dataclass
class Decision:
    """A guess an importer made that changes where data lands: what it decided and why."""

    subject: str  # "format", "columns", "step", "run name", "date format", "delimiter", ...
    choice: str
    why: str
    certain: bool = True
    file: str = ""

    def as_dict(self) -> dict:
        out = {"subject": self.subject, "choice": self.choice, "why": self.why}
        if not self.certain:
            out["certain"] = False
        if self.file:
            out["file"] = self.file
        return out


def unknown_format(name: str, seen: str) -> ImportFailed:
    """The failure for a file that matches no format: what it saw first, what Cairn reads last.

    The cause leads, so that a list cut short on a small screen never hides it.
    """
    labels = "; ".join(FORMATS.values())
    return ImportFailed(
        f"Cairn could not tell the format of “{name}”. This file looks like: {seen}. "
        f"Choose its format to skip detection; Cairn reads: {labels}."
    )


@dataclass
class InputFile:
    """One file of an import: where it is on disk and the name it was uploaded under."""

    path: pathlib.Path
    name: str
    run_name: str | None = None
    metric_name: str | None = None


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile input from costing unbounded time, memory or disk."""

    max_bytes: int = 200 * 1024 * 1024
    max_zip_members: int = 100_000
    max_zip_total: int = 2 * 1024**3
    max_zip_ratio: float = 200.0
    max_line_bytes: int = 10 * 1024 * 1024
    max_columns: int = 5_000


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


@dataclass
class RunData:
    """One run: its identity, params, tags and metric series."""

    name: str
    external_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    series: dict[str, Series] = field(default_factory=dict)
    # The tracker's word for how the run ended, upper-case (FINISHED, RUNNING, FAILED, KILLED,
    # CRASHED...), or "" when the file does not say.
    status: str = ""


@dataclass
class Rejection:
    """Rows refused for one reason: how many, and the first file lines (1-based)."""

    reason: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


@dataclass
class Report:
    """What happened to the rows of an import, and what the user should know about the data."""

    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    # column name -> (role, why), for every column of every table read: the preview shows it.
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Set by the pipeline while it reads one file of several, so messages say which file.
    current_file: str = field(default="", init=False, repr=False, compare=False)
    _by_reason: dict[str, Rejection] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _nan: int = field(default=0, init=False, repr=False, compare=False)
    _nan_series: int = field(default=0, init=False, repr=False, compare=False)
    _inf: int = field(default=0, init=False, repr=False, compare=False)
    _dups: int = field(default=0, init=False, repr=False, compare=False)
    _dup_examples: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    _backwards: int = field(default=0, init=False, repr=False, compare=False)
    _backwards_examples: list[str] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def _prefixed(self, text: str) -> str:
        return f"{self.current_file}: {text}" if self.current_file else text

    def reject(self, reason: str, lines: int | list[int] | np.ndarray | None = None, count=None):
        """Count rows refused for a reason, keeping the first few line numbers."""
        reason = self._prefixed(reason)
        if lines is None:
            lines_list: list[int] = []
        elif isinstance(lines, int | np.integer):
            lines_list = [int(lines)]
        else:
            lines_list = [int(x) for x in np.asarray(lines)[:MAX_LINES_SHOWN]]
        if count is None:
            count = 1 if lines is None or isinstance(lines, int | np.integer) else len(lines)
        if count <= 0:
            return
        entry = self._by_reason.get(reason)
        if entry is None:
            entry = self._by_reason[reason] = Rejection(reason)
            self.rejected.append(entry)
        entry.count += count
        room = MAX_LINES_SHOWN - len(entry.lines)
        if room > 0:
            entry.lines.extend(lines_list[:room])
        self.rows_rejected += count

    def warn(self, message: str) -> None:
        """Add a warning sentence once."""
        message = self._prefixed(message)
        if message not in self.warnings:
            self.warnings.append(message)

    def decide(self, subject: str, choice: str, why: str, *, certain: bool = True) -> None:
        """Record a guess that changes where data lands; an uncertain one stops at a preview."""
        decision = Decision(subject, choice, why, certain, self.current_file)
        if decision not in self.decisions:
            self.decisions.append(decision)

    def assign(self, column: str, role: str, why: str) -> None:
        """Record the role a table column was given (a key of ROLES) and why."""
        assert role in ROLES, role
        self.roles[column] = (role, why)

    @property
    def uncertain(self) -> list[Decision]:
        """The decisions the user should look at before the data is written."""
        return [d for d in self.decisions if not d.certain]

    def finish(self) -> None:
        """Turn the counts gathered while building series into warning sentences."""
        self.current_file = ""
        if self._nan:
            self.warn(
                f"{plural(self._nan, 'value')} {'was' if self._nan == 1 else 'were'} missing or "
                f"NaN in {plural(self._nan_series, 'series', 'series')}; "
                "they are kept as gaps in the curves."
            )
        if self._inf:
            self.warn(
                f"{plural(self._inf, 'infinite value')} (inf) "
                f"{'was' if self._inf == 1 else 'were'} turned into NaN gaps."
            )
        if self._dups:
            self.warn(
                f"{plural(self._dups, 'point')} repeated a (run, metric, step) already seen; "
                f"the last one of each was kept ({'; '.join(self._dup_examples)})."
            )
        if self._backwards:
            self.warn(
                f"Steps go backwards in {plural(self._backwards, 'series', 'series')} "
                "(a restart?); the points are kept in file order: "
                f"{'; '.join(self._backwards_examples)}."
            )
        self._nan = self._inf = self._dups = self._backwards = 0

    def as_dict(self) -> dict:
        """The report as plain JSON-serialisable data."""
        return {
            "rows_read": int(self.rows_read),
            "rows_accepted": int(self.rows_accepted),
            "rows_rejected": int(self.rows_rejected),
            "rejected": [
                {"reason": r.reason, "count": int(r.count), "lines": [int(x) for x in r.lines]}
                for r in self.rejected
            ],
            "warnings": list(self.warnings),
            "decisions": [d.as_dict() for d in self.decisions],
            "roles": {column: list(pair) for column, pair in self.roles.items()},
        }


def settle_roles(
    columns: list[str],
    guessed: dict[str, tuple[str, str]],
    report: Report,
    choices: Choices,
) -> dict[str, str]:
    """Every column's role: the user's where given, else the importer's (role, why); all recorded.

    Table importers call this once per header and read the columns by the roles it returns, so
    the preview, the command line's --role and the API's roles change where data lands.
    """
    roles: dict[str, str] = {}
    for column in columns:
        given = choices.role(column)
        role, why = (given, "set by the user") if given else guessed.get(column, ("ignore", ""))
        report.assign(column, role, why or "Cairn has no rule that reads this column")
        roles[column] = role
    missing = [c for c in choices.roles if c not in roles]
    if missing:
        report.warn(f"Roles were given for columns the file does not have: {quoted(missing)}.")
    return roles


@dataclass
class ParseResult:
    """Everything an import found: its format, its runs and the report."""

    format: str
    runs: list[RunData]
    report: Report
    points: int = 0


class Progress:
    """Reports a fraction in [0, 1] that never goes back, mapped into a parent's sub-range."""

    def __init__(self, callback: Callable[[float], None] | None, start=0.0, end=1.0):
        self._callback, self._start, self._end, self._last = callback, start, end, -1.0

    def __call__(self, fraction: float) -> None:
        if self._callback is None:
            return
        fraction = min(1.0, max(0.0, float(fraction)))
        value = self._start + (self._end - self._start) * fraction
        if value > self._last:
            self._last = value
            self._callback(value)

    def part(self, start: float, end: float) -> Progress:
        """A child reporting into [start, end] of this range."""
        return Progress(self, start, end) if self._callback else Progress(None)


def each_source(plan, report: Report, progress: Progress, read: Callable) -> list[list[RunData]]:
    """Call read(source, report, progress) for every data file, with the report naming the file."""
    out = []
    total = sum(max(1, s.size) for s in plan.sources)
    done = 0
    for source in plan.sources:
        report.current_file = source.name if len(plan.sources) > 1 else ""
        source.emit_notes(report)
        size = max(1, source.size)
        out.append(read(source, report, progress.part(done / total, (done + size) / total)))
        done += size
        progress(done / total)
    report.current_file = ""
    return out


def check_series_count(count: int, name: str) -> None:
    """Refuse a file that would make more series than Cairn keeps for one import."""
    if count > MAX_SERIES:
        raise ImportFailed(
            f"“{name}” would make {count:,} series (runs × metrics); Cairn imports at most "
            f"{MAX_SERIES:,} at once."
        )


def human_size(size: float) -> str:
    """'200 MB', '1.5 GB', '500 bytes': sizes as a user reads them (1 MB = 2**20 bytes)."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(size):,} bytes"


def check_point_count(count: int, name: str) -> None:
    """Refuse a file whose points would not fit in the memory one import may use."""
    if count > MAX_POINTS:
        raise ImportFailed(
            f"“{name}” holds more than {MAX_POINTS:,} points; Cairn imports at most that many "
            "at once. Split it into several files."
        )


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 value', '3 values', with thousands separators."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def quoted(names, limit: int = 8) -> str:
    """“a”, “b” and 3 more."""
    names = list(names)
    shown = ", ".join(f"“{n}”" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


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


def flatten(value, prefix: str = "", sep: str = ".", budget: int = 5_000) -> dict[str, str]:
    """Nested mappings as {"a.b": "value"}; values as Python prints them, lists as JSON."""
    import json

    out: dict[str, str] = {}
    stack = [(prefix, value)]
    visited = 0
    while stack:
        key, item = stack.pop()
        visited += 1
        if visited > budget * 4 or len(out) > budget:
            raise ImportFailed(
                f"The hyperparameters hold more than {budget:,} entries; Cairn keeps at most "
                f"{budget:,} params a run."
            )
        if isinstance(item, dict):
            if not item and key:
                out[key] = "{}"
            for sub_key, sub in reversed(list(item.items())):
                stack.append((f"{key}{sep}{sub_key}" if key else str(sub_key), sub))
        elif isinstance(item, list | tuple):
            try:
                out[key] = json.dumps(item, default=str)[:10_000]
            except (TypeError, ValueError, RecursionError):
                out[key] = str(item)[:10_000]
        else:
            out[key] = str(item)
    return out


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that reads Python-tagged nodes (Lightning may save a Namespace) as plain data."""


# libyaml's loader is about ten times quicker (an MLflow store has a meta.yaml per run), but it
# recurses in C without Python's depth guard, so it only gets flat documents (see _is_flat).
_FastYamlLoader = (
    type("_FastYamlLoader", (yaml.CSafeLoader,), {}) if yaml.__with_libyaml__ else _YamlLoader
)


def _construct_tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


for _loader in {_YamlLoader, _FastYamlLoader}:
    _loader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_tagged)
    _loader.add_multi_constructor("!", _construct_tagged)

YAML_MAX_BYTES = 1024 * 1024


def load_yaml(path: pathlib.Path):
    """A small YAML file as plain data (never runs code); ValueError when it cannot be read."""
    if path.stat().st_size > YAML_MAX_BYTES:
        raise ValueError(f"it is larger than {YAML_MAX_BYTES // 1024} KB")
    with open(path, "rb") as handle:
        return parse_yaml(handle.read())


def parse_yaml(raw: bytes):
    """YAML bytes as plain data (never runs code); ValueError when they cannot be read."""
    if len(raw) > YAML_MAX_BYTES:
        raise ValueError(f"it is larger than {YAML_MAX_BYTES // 1024} KB")
    loader = _FastYamlLoader if _is_flat(raw) else _YamlLoader
    try:
        return yaml.load(raw.decode("utf-8-sig", errors="replace"), Loader=loader)  # noqa: S506
    except (yaml.YAMLError, RecursionError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "not valid YAML"
        raise ValueError(problem) from None


def _is_flat(raw: bytes) -> bool:
    """Top-level "key: value" lines with a few brackets at most: nesting cannot go deep."""
    if raw.count(b"[") + raw.count(b"{") >= 32:
        return False
    return not any(line[:1] in b" \t-?" for line in raw.splitlines() if line)


def utc_from_timestamp(seconds: float | None) -> datetime | None:
    """A timezone-aware UTC datetime from unix seconds, or None for a missing or absurd value."""
    if seconds is None or not math.isfinite(seconds):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_datetime(text: str) -> datetime | None:
    """ISO-like text ('2026-03-01T10:00:00.000Z', '2026-02-01 09:00:00+00:00') to aware UTC."""
    text = (text or "").strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = float(text)
        return utc_from_timestamp(number / 1000 if abs(number) > 1e11 else number)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Exports without an offset (MLflow's UI) are taken as UTC: the file says nothing better.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
