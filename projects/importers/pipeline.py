"""From uploaded files to a ParseResult: size and zip checks, detection, one parser, the report."""

from __future__ import annotations

import csv
import json
import logging
import math
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import yaml

from ..wording import agree, plural, quoted
from . import (
    companions,
    hf_trainer,
    jsonl,
    long,
    mlflow,
    mlflow_store,
    optuna,
    sklearn_cv,
    tensorboard,
    wandb,
    wide,
)
from .choices import Choices
from .data import InputFile, ParseResult, RunData
from .dates import utc_from_timestamp
from .detect import sniff
from .formats import FORMATS, ImportFailed, unknown_format
from .limits import Limits
from .progress import Progress
from .report import Report
from .safety import Member, Store, check_size, extract_zip, inspect_zip, is_zip
from .text import TextSource, binary_kind, prepare_text

log = logging.getLogger(__name__)

PARSERS: dict[str, Callable] = {
    "long_csv": long.parse,
    "wide_csv": wide.parse,
    "tensorboard_csv": tensorboard.parse_csv,
    "tensorboard_json": tensorboard.parse_json,
    "wandb_runs": wandb.parse_runs,
    "wandb_chart": wandb.parse_chart,
    "mlflow_runs_csv": mlflow.parse_runs_csv,
    "mlflow_zip": mlflow_store.parse_store,
    "jsonl": jsonl.parse,
    "hf_trainer_state": hf_trainer.parse,
    "optuna_trials": optuna.parse,
    "sklearn_cv_results": sklearn_cv.parse,
}


@dataclass
class Plan:
    """The files of one import sorted out: data files with their format, companions, stores."""

    format: str = ""
    sources: list[TextSource] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # one per source
    companions: list[Member] = field(default_factory=list)  # hparams.yaml, meta_tags.csv
    params: dict[str, dict[str, str]] = field(default_factory=dict)  # data file -> companion's
    stores: list[Store] = field(default_factory=list)  # zipped MLflow stores
    skipped: list[str] = field(default_factory=list)  # zip members that hold no data
    why: dict[str, str] = field(default_factory=dict)  # and why each was skipped
    choices: Choices = field(default_factory=Choices)  # what the user said about reading them
    seen: list[str] = field(default_factory=list)  # what each data file looked like


def detect_format(
    files: list[InputFile],
    *,
    limits: Limits = Limits(),  # noqa: B008 (frozen, so one shared default is safe)
) -> str:
    """The format name of the files of one import; ImportFailed says what Cairn reads when none."""
    with tempfile.TemporaryDirectory(prefix="cairn-detect-") as tmp:
        return _guarded(lambda: _plan(files, Path(tmp), limits, None).format)


def parse(
    files: list[InputFile],
    *,
    format: str | None = None,
    choices: Choices | None = None,
    progress: Callable[[float], None] | None = None,
    limits: Limits = Limits(),  # noqa: B008 (frozen, so one shared default is safe)
) -> ParseResult:
    """Detect (unless told) and parse the files of one import into runs, series and a report.

    Every guess that changes where data lands is in result.report.decisions; the uncertain
    ones (report.uncertain) should be shown to the user before the runs are kept, unless
    choices.confirmed says they were.
    """
    if format is not None and format not in FORMATS:
        raise ImportFailed(f"Unknown format “{format}”; Cairn reads: {', '.join(FORMATS)}.")
    step = Progress(progress)
    with tempfile.TemporaryDirectory(prefix="cairn-import-") as tmp:

        def work() -> ParseResult:
            report = Report()
            plan = _plan(files, Path(tmp), limits, format, choices or Choices())
            _decide_format(plan, report, told=bool(format))
            plan.params = companions.pair(plan, report, limits)
            step(0.05)
            per_file = PARSERS[plan.format](plan, report, limits, step.part(0.05, 0.95))
            _give_params(plan, per_file)
            if plan.skipped:
                report.current_file = ""
                report.warn(f"Files Cairn does not read were skipped: {quoted(plan.skipped, 5)}.")
            runs = _merge(per_file, report)
            report.finish()
            return _result(plan, runs, report)

        result = _guarded(work)
    step(1.0)
    return result


def _decide_format(plan: Plan, report: Report, *, told: bool) -> None:
    if told:
        report.decide("format", FORMATS[plan.format], "the format was named for this import")
        return
    seen = "; ".join(dict.fromkeys(plan.seen)) or "a zipped mlruns/ folder with meta.yaml files"
    report.decide("format", FORMATS[plan.format], f"the file looks like {seen}")


def _give_params(plan: Plan, per_file: list[list[RunData]]) -> None:
    """Companion params for the runs of formats that do not take them while reading."""
    if plan.format == "wide_csv" or not plan.params or len(per_file) != len(plan.sources):
        return
    for source, runs in zip(plan.sources, per_file, strict=True):
        for run in runs:
            for key, value in plan.params.get(source.name, {}).items():
                run.params.setdefault(key, value)


def _guarded(work: Callable):
    """Run work, turning a reader's low-level error on hostile input into ImportFailed."""
    try:
        return work()
    except ImportFailed:
        raise
    except MemoryError:
        raise ImportFailed("The file needs more memory than Cairn allows for an import.") from None
    except RecursionError:
        raise ImportFailed("The file is nested too deeply to read.") from None
    except (KeyError, IndexError):
        # A reader looked for a column or field the file does not have (a forced format that
        # does not fit): say so in words, never with an exception's name.
        log.warning("Import failed on a missing column or field", exc_info=True)
        raise ImportFailed(
            "Cairn could not read the file: a column or field the format needs is missing "
            "or in an unexpected place. Check the format chosen for it, or let Cairn detect it."
        ) from None
    except (
        pd.errors.ParserError,
        UnicodeError,
        csv.Error,
        zipfile.BadZipFile,
        yaml.YAMLError,
        json.JSONDecodeError,
        OverflowError,
        ValueError,
    ) as exc:
        # Hostile input must end in ImportFailed, but a parser bug should still be seen.
        log.warning("Import failed on a low-level error", exc_info=True)
        raise ImportFailed(f"Cairn could not read the file: {_first_line(exc)}.") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300].rstrip(".")


def _plan(
    files: list[InputFile],
    workdir: Path,
    limits: Limits,
    wanted: str | None,
    choices: Choices | None = None,
) -> Plan:
    if not files:
        raise ImportFailed("No file was given.")
    plan = Plan(choices=choices or Choices())
    seen: list[str] = []
    for number, file in enumerate(files):
        check_size(file.path, file.name, limits)
        lowered = file.name.lower()
        if is_zip(file.path):
            if lowered.endswith((".xlsx", ".xlsm", ".docx", ".odt", ".ods")):
                raise unknown_format(file.name, binary_kind(b"PK\x03\x04", file.name) or "")
            infos = inspect_zip(file.path, file.name, limits)
            if any(PurePosixPath(i.filename).name == "meta.yaml" for i in infos):
                # Read in place by the MLflow reader (thousands of small files: no unpacking).
                plan.stores.append(Store(path=file.path, name=file.name, infos=infos))
                seen.append("mlflow_zip")
                continue
            members = extract_zip(file.path, file.name, infos, workdir / f"zip{number}", limits)
            if not members:
                raise ImportFailed(f"“{file.name}” is an empty zip.")
            for member in members:
                _add(plan, member.path, member.name, file, workdir, limits, None, lenient=True)
            if not plan.sources and not plan.companions:
                found = "; ".join(f"“{n}”: {why}" for n, why in list(plan.why.items())[:3])
                raise ImportFailed(f"“{file.name}” holds no file Cairn reads ({found}).")
            continue
        _add(plan, file.path, file.name, file, workdir, limits, wanted, lenient=False)
    seen.extend(plan.formats)
    if wanted:
        _check_wanted(plan, wanted)
        plan.format = wanted
        return plan
    distinct = list(dict.fromkeys(seen))
    if not distinct:
        names = quoted(m.name for m in plan.companions)
        raise ImportFailed(
            f"{names} {agree(len(plan.companions), 'holds', 'hold')} hyperparameters only; "
            "upload it together with the metrics.csv it belongs to."
        )
    if len(distinct) > 1:
        described = [
            f"“{s.name}” is {FORMATS[f]}" for s, f in zip(plan.sources, plan.formats, strict=True)
        ]
        described += [f"“{m.name}” is {FORMATS['mlflow_zip']}" for m in plan.stores]
        raise ImportFailed(
            f"These files are in different formats: {'; '.join(described)}. Upload each format "
            "as its own import."
        )
    plan.format = distinct[0]
    return plan


def _add(
    plan: Plan,
    path: Path,
    name: str,
    file: InputFile,
    workdir: Path,
    limits: Limits,
    wanted: str | None,
    *,
    lenient: bool,
) -> None:
    """Sort one file into the plan; zip members that are not data are skipped, not fatal."""
    if companions.is_companion(name):
        plan.companions.append(Member(path=path, name=name))
        return
    try:
        if lenient:
            check_size(path, name, limits)
        source = prepare_text(
            path,
            name,
            workdir,
            limits,
            run_name=file.run_name,
            metric_name=file.metric_name,
        )
        source.delimiter = plan.choices.delimiter
        found = sniff(source, limits)
    except ImportFailed as failure:
        if lenient:
            plan.skipped.append(name)
            plan.why[name] = failure.message.rstrip(".")
            return
        raise
    if found.format is None and wanted:
        # Told the format: let its parser say precisely what the file lacks.
        found.format = wanted
    if found.format is None:
        if lenient:
            plan.skipped.append(name)
            plan.why[name] = f"it looks like {found.seen}"
            return
        raise unknown_format(name, found.seen)
    plan.sources.append(source)
    plan.formats.append(found.format)
    plan.seen.append(found.seen)


def _check_wanted(plan: Plan, wanted: str) -> None:
    if wanted == "mlflow_zip":
        if not plan.stores:
            raise ImportFailed(
                "The MLflow format needs a zip of an mlruns/ folder (with meta.yaml files); "
                "none was given."
            )
        return
    if plan.stores:
        raise ImportFailed(
            f"A zipped MLflow store was given, but the import was asked to read {FORMATS[wanted]}."
        )
    if not plan.sources:
        raise ImportFailed(f"No file to read as {FORMATS[wanted]} was given.")


def _merge(per_file: list[list[RunData]], report: Report) -> list[RunData]:
    """Join the runs of several files that share a name (one TensorBoard file a tag)."""
    if len(per_file) == 1:
        return per_file[0]
    merged: dict[tuple[str, str], RunData] = {}
    out: list[RunData] = []
    for runs in per_file:
        mine: set[tuple[str, str]] = set()
        for run in runs:
            key = (run.name, run.external_id)
            target = merged.get(key)
            if target is None or key in mine:
                merged[key] = run
                mine.add(key)
                out.append(run)
                continue
            for series_key, series in run.series.items():
                if series_key in target.series:
                    report.warn(
                        f"Metric “{series_key}” of run “{run.name}” came in more than one file; "
                        "the last file's points were kept."
                    )
                target.series[series_key] = series
            target.params.update(run.params)
            target.tags.update(run.tags)
            target.started_at = target.started_at or run.started_at
    return out


def _result(plan: Plan, runs: list[RunData], report: Report) -> ParseResult:
    points = int(sum(s.steps.size for run in runs for s in run.series.values()))
    if not runs or (points == 0 and not any(run.params for run in runs)):
        raise ImportFailed(_nothing_message(plan, report))
    for run in runs:
        if run.started_at is None:
            run.started_at = _first_wall_time(run)
    return ParseResult(format=plan.format, runs=runs, report=report, points=points)


def _first_wall_time(run: RunData):
    """When the file gives no start time, the run began no later than its first point."""
    # fmin skips NaN; a series of NaN only gives NaN, which min() below must not see.
    earliest = [
        float(np.fmin.reduce(s.wall_times))
        for s in run.series.values()
        if s.wall_times is not None and s.wall_times.size
    ]
    earliest = [value for value in earliest if math.isfinite(value)]
    return utc_from_timestamp(min(earliest)) if earliest else None


def _nothing_message(plan: Plan, report: Report) -> str:
    names = [s.name for s in plan.sources] + [m.name for m in plan.stores]
    what = quoted(names, 3)
    if report.rows_read == 0 and plan.sources:
        return f"{what} has no data rows (only a header, or nothing Cairn can use)."
    if report.rejected:
        reasons = "; ".join(_describe(r) for r in report.rejected[:3])
        return f"Nothing in {what} could be imported. No row could be used: {reasons}."
    return f"Nothing in {what} could be imported: it holds no runs with metric values."


def _describe(rejection) -> str:
    lines = ""
    if rejection.lines:
        lines = f", {agree(len(rejection.lines), 'line', 'lines')} "
        lines += ", ".join(map(str, rejection.lines))
    return f"{rejection.reason} ({plural(rejection.count, 'row')}{lines})"
