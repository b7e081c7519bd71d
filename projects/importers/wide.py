"""Wide CSV: a step or epoch column and one column per metric (Keras and Lightning CSVLogger).

A cell makes a point only when it holds something: Lightning writes train and validation
metrics on separate rows and leaves the other cells blank, and Keras writes "NA" for a metric
it did not have. "nan" and "inf" are values (kept as NaN gaps). When a step column is there,
epoch is neither the step nor a metric.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..wording import agree, plural, quoted
from . import names
from .choices import Choices, settle_roles
from .data import RunData
from .dates import read_times
from .detect import RUN_COLUMNS, STEP_COLUMNS, TIME_COLUMNS, find
from .dialect import dialect_notes, sniff_csv
from .formats import ImportFailed
from .limits import Limits, check_point_count, check_series_count
from .progress import Progress, each_source
from .report import Report
from .series import make_series
from .tables import integers, name_codes, numbers, read_table
from .text import TextSource

CHUNK_ROWS = 200_000


def parse(plan, report: Report, limits: Limits, progress: Progress) -> list[list[RunData]]:
    """Read wide CSV files, with hparams.yaml or meta_tags.csv beside them as the runs' params."""
    found = names.distinct([s.name for s in plan.sources], [file_run_name(s) for s in plan.sources])
    chosen = {s.name: n for s, n in zip(plan.sources, found, strict=True)}
    read = partial(
        parse_file, limits=limits, params=plan.params, chosen=chosen, choices=plan.choices
    )
    return each_source(plan, report, progress, read)


def file_run_name(source: TextSource) -> names.Named:
    """The run's name: the user's, else Lightning's log folder, else the folder or the stem."""
    named = names.for_file(source.name, source.run_name)
    if named.source == "file" and names.stem_of(source.name) == "metrics":
        # A file without its folder: the folder on disk may still say which version it is.
        on_disk = source.path.parent.name
        if names.VERSION.fullmatch(on_disk):
            return names.Named(on_disk, "lightning", f"Lightning's log folder {on_disk}")
    return named


def run_name(source: TextSource) -> str:
    """The name of the run a file without a run column holds."""
    return file_run_name(source).name


# The roles a column of a wide CSV can have.
WIDE_ROLES = ("run", "step", "time", "metric", "param", "tag", "ignore")


def _guess_roles(columns: list[str]) -> dict[str, tuple[str, str]]:
    """Each column's role by its name, as Cairn reads a wide CSV without being told."""
    lowered = [c.strip().lower() for c in columns]
    guessed: dict[str, tuple[str, str]] = {}
    step_at = find(lowered, STEP_COLUMNS)
    for role, at, what in (
        ("step", step_at, "a step column"),
        ("time", find(lowered, TIME_COLUMNS), "a time column"),
        ("run", find(lowered, RUN_COLUMNS), "a run name column"),
    ):
        if at is not None:
            guessed.setdefault(columns[at], (role, f"its name is that of {what}"))
    for name, low in zip(columns, lowered, strict=True):
        if name in guessed:
            continue
        if not name:
            guessed[name] = ("ignore", "it has no name")
        elif low in STEP_COLUMNS:
            step = columns[step_at] if step_at is not None else ""
            guessed[name] = ("ignore", f"“{step}” is the step; {name} is neither step nor metric")
        else:
            guessed[name] = ("metric", "a wide CSV has one column per metric")
    return guessed


def parse_file(
    source: TextSource,
    report: Report,
    progress: Progress,
    *,
    limits: Limits,
    params: dict[str, dict[str, str]],
    chosen: dict[str, names.Named] | None = None,
    choices: Choices | None = None,
) -> list[RunData]:
    """Read one wide CSV file into its run (or runs, when a run column names them)."""
    choices = choices or Choices()
    dialect = sniff_csv(source, limits)
    dialect_notes(dialect, report)
    roles = settle_roles(dialect.columns, _guess_roles(dialect.columns), report, choices)
    wrong = {c: r for c, r in roles.items() if r not in WIDE_ROLES}
    if wrong:
        column, role = next(iter(wrong.items()))
        raise ImportFailed(
            f"In a wide CSV a column cannot be a {role} (column “{column}”): each metric has "
            f"its own column. Roles a wide CSV takes: {', '.join(WIDE_ROLES)}."
        )

    def first(role: str) -> int | None:
        return next((i for i, c in enumerate(dialect.columns) if roles[c] == role), None)

    step_at = first("step")
    if step_at is None:
        raise ImportFailed(
            f"“{source.name}” is not a wide CSV: it needs a step column (step, epoch, iteration "
            f"or global_step); it has {quoted(dialect.columns)}."
        )
    time_at = first("time")
    run_at = first("run")
    extra = {
        i: roles[c] for i, c in enumerate(dialect.columns) if roles[c] in ("param", "tag") and c
    }
    kept: dict[int, dict[int, str]] = {}  # run code -> params or tags from their columns
    metric_at: dict[int, str] = {}
    for index, name in enumerate(dialect.columns):
        if roles[name] != "metric" or index in (step_at, time_at, run_at):
            continue
        if not name:
            report.warn(f"Column {index + 1} has no name and was ignored.")
        elif name in metric_at.values():
            report.warn(f"Column “{name}” appears twice; the second one was ignored.")
        else:
            metric_at[index] = name
    # One run a file, unless a run column splits the rows into several, or the steps start
    # again (Keras' CSVLogger appending a new training to the same file).
    named = (chosen or {}).get(source.name) or file_run_name(source)
    if run_at is None:
        report.decide("run name", named.name, named.why)
    else:
        report.decide(
            "run name",
            f"column “{dialect.columns[run_at]}”",
            "the file has a run-name column: each of its names is a run",
        )
    run_codes: dict[str, int] = {} if run_at is not None else {named.name: 0}
    restarts = _Restarts(named.name, run_codes)
    header_step = dialect.columns[step_at].strip().lower()
    parts: dict[int, list] = {index: [] for index in metric_at}
    filled: set[int] = set()
    text_cells: dict[int, list] = {index: [0, []] for index in metric_at}
    total = 0
    for chunk, lines in read_table(source, dialect, report, all_text=True, chunksize=CHUNK_ROWS):
        present, parsed, text = numbers(chunk[f"c{step_at}"], dialect.decimal)
        steps, _, fraction = integers(parsed)
        ok = np.ones(len(chunk), dtype=bool)
        if text.any():
            # The header written again (Keras appending a training to the same file): no data.
            cells = chunk[f"c{step_at}"].astype(str).str.strip().str.lower()
            again = text & (cells == header_step).to_numpy()
            if again.any():
                restarts.headers.extend(int(x) for x in lines[again][:5])
                ok &= ~again
        if run_at is None:
            runs = np.zeros(len(chunk), dtype=np.int32)
        else:
            runs = name_codes(chunk[f"c{run_at}"], run_codes)
            check_series_count(len(run_codes) * max(1, len(metric_at)), source.name)
        ok = report.reject_rows(
            lines,
            (
                ("the run is missing", runs < 0),
                ("the step is missing", ~present),
                ("the step is not a number", text),
                ("the step is not a whole number (or is out of range)", fraction & ~text),
            ),
            ok,
        )
        if run_at is None:
            runs = restarts.split(steps, ok, lines)
            check_series_count(len(run_codes) * max(1, len(metric_at)), source.name)
        walls = None
        if time_at is not None:
            walls = _wall_times(chunk[f"c{time_at}"], dialect, report, choices, lines)
        for index in extra:
            cells = chunk[f"c{index}"].fillna("").astype(str).str.strip().to_numpy()
            for row in np.flatnonzero(ok & (cells != "")):
                values = kept.setdefault(int(runs[row]), {})
                values.setdefault(index, str(cells[row]))
        for index in metric_at:
            has, values, not_number = numbers(chunk[f"c{index}"], dialect.decimal)
            if has.any():
                filled.add(index)
            skipped = not_number & ok
            if skipped.any():
                text_cells[index][0] += int(skipped.sum())
                text_cells[index][1].extend(int(x) for x in lines[skipped][:5])
            take = has & ~not_number & ok
            total += int(take.sum())
            if take.any():
                wall = None if walls is None else walls[take]
                parts[index].append((runs[take], steps[take], values[take], wall, lines[take]))
        check_point_count(total, source.name)
        if len(lines):
            progress(min(1.0, lines[-1] / max(1, source.line_count)))
    restarts.tell(report, source.name)
    file_params = params.get(source.name, {})
    runs = [RunData(name=name, params=dict(file_params)) for name in run_codes]
    for code, values in kept.items():
        for index, value in values.items():
            target = runs[code].params if extra[index] == "param" else runs[code].tags
            target[dialect.columns[index]] = value
    for index, key in metric_at.items():
        count, first_lines = text_cells[index]
        if index not in filled:
            report.warn(f"Column “{key}” is empty and was ignored.")
            continue
        if not parts[index]:
            if count:
                report.warn(f"Column “{key}” holds text, not numbers, and was ignored.")
                if not choices.role(key):
                    report.assign(key, "ignore", "it holds text, not numbers")
            continue
        if count:
            report.warn(
                f"{plural(count, 'cell')} of column “{key}” that {agree(count, 'is', 'are')} "
                f"not a number {agree(count, 'was', 'were')} skipped "
                f"(line {', '.join(map(str, first_lines[:5]))})."
            )
        codes, steps, values, walls, lines = (
            None if time_at is None and i == 3 else np.concatenate([p[i] for p in parts[index]])
            for i in range(5)
        )
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            run = runs[code]
            run.series[key] = make_series(
                key,
                steps[rows],
                values[rows],
                report,
                run=run.name,
                wall_times=None if walls is None else walls[rows],
                lines=lines[rows],
            )
    # A file's run keeps its hparams even without metrics; a run named only by rejected rows goes.
    return [run for run in runs if run.series or (run_at is None and run.params)]


def _wall_times(column, dialect, report: Report, choices: Choices, lines) -> np.ndarray:
    """Unix seconds of a time column: numbers as they are, dates read by read_times."""
    _, seconds, text = numbers(column, dialect.decimal)
    if text.any():
        times = read_times(
            column[text],
            column=dialect.columns[int(column.name[1:])],
            report=report,
            order=choices.date_order,
            lines=lines[text],
        )
        seconds = seconds.copy()
        seconds[text] = times.seconds
    return seconds


class _Restarts:
    """Trainings appended to one log file: the step falls back to where the file began.

    Each training after the first is a run of its own ("name · 2"), so no point is lost as a
    repeat of the first training's steps.
    """

    def __init__(self, name: str, codes: dict[str, int]):
        self.name, self.codes = name, codes
        self.first: int | None = None
        self.previous: int | None = None
        self.current = 0
        self.at: list[int] = []  # the line of each restart
        self.headers: list[int] = []  # lines where the header was written again

    def split(self, steps: np.ndarray, ok: np.ndarray, lines: np.ndarray) -> np.ndarray:
        runs = np.zeros(len(steps), dtype=np.int32)
        rows = np.flatnonzero(ok)
        if not rows.size:
            return runs
        good = steps[rows]
        if self.first is None:
            self.first = int(good[0])
        before = np.empty_like(good)
        before[0] = good[0] if self.previous is None else self.previous
        before[1:] = good[:-1]
        again = (good < before) & (good <= self.first)
        self.previous = int(good[-1])
        segment = self.current + np.cumsum(again, dtype=np.int64)
        for offset in np.flatnonzero(again):
            self.at.append(int(lines[rows[offset]]))
            number = len(self.at) + 1
            self.codes.setdefault(names.restarted(self.name, number), number - 1)
        self.current = int(segment[-1])
        runs[rows] = segment
        return runs

    def tell(self, report: Report, file: str) -> None:
        if self.headers:
            report.warn(
                f"The header of “{file}” is written again on line "
                f"{', '.join(map(str, self.headers[:5]))}; those lines are headers, not data."
            )
        if self.at:
            report.decide(
                "runs in the file",
                f"{len(self.at) + 1} trainings: “{self.name}” to "
                f"“{names.restarted(self.name, len(self.at) + 1)}”",
                f"the step starts again at {self.first} on line "
                f"{', '.join(map(str, self.at[:5]))}: each training appended to the file is a run",
            )
