"""Files that say "these files are one run": hyperparameters beside a metrics file.

- `hparams.yaml` (any .yaml/.yml): Lightning's hyperparameters, a mapping flattened with ".".
- `meta_tags.csv`: older Lightning's hyperparameters, `key,value` rows.

A companion gives params to the runs of the data files in its folder; with no data file in its
folder, to the only data file of the import. `group_uploads` sorts the files of one upload (or
one command line) into imports: data files of one format together, each companion with the
data files of its folder.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path, PurePosixPath

from . import hf_trainer
from .data import flatten
from .detect import YAML_SUFFIXES, _sniff_json_array, classify_columns
from .limits import Limits
from .report import Report
from .yamlfiles import load_yaml

KEY_VALUE_NAMES = ("meta_tags.csv",)
MAX_KEY_VALUE_BYTES = 1 << 20


def is_companion(name: str) -> bool:
    """Whether a file holds hyperparameters for the data beside it rather than data."""
    base = PurePosixPath(name.replace("\\", "/")).name.lower()
    return base.endswith(YAML_SUFFIXES) or base in KEY_VALUE_NAMES


def folder_of(name: str) -> str:
    return str(PurePosixPath(name.replace("\\", "/")).parent)


def read_params(path: Path, name: str, report: Report, limits: Limits) -> dict[str, str] | None:
    """The params a companion file holds, or None (with a warning) when it cannot be used."""
    if name.lower().endswith(YAML_SUFFIXES):
        try:
            data = load_yaml(path)
        except ValueError as exc:
            report.warn(f"“{name}” could not be read ({exc}); its params were skipped.")
            return None
        if data is None:
            return {}
        if not isinstance(data, dict):
            report.warn(f"“{name}” is not a mapping of names to values; it was skipped.")
            return None
        return flatten(data, budget=limits.max_columns)
    return _key_values(path, name, report, limits)


def _key_values(path: Path, name: str, report: Report, limits: Limits) -> dict[str, str] | None:
    """Lightning's meta_tags.csv: a `key,value` header, then one param a row."""
    if path.stat().st_size > MAX_KEY_VALUE_BYTES:
        report.warn(f"“{name}” is larger than 1 MB; its params were skipped.")
        return None
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["key", "value"]:
        report.warn(f"“{name}” does not start with the header key,value; it was skipped.")
        return None
    params: dict[str, str] = {}
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        if len(params) >= limits.max_columns:
            report.warn(f"“{name}” holds more params than Cairn keeps; the rest were skipped.")
            break
        params[row[0].strip()] = row[1].strip() if len(row) > 1 else ""
    return params


def pair(plan, report: Report, limits: Limits) -> dict[str, dict[str, str]]:
    """Params for each data file (by name) from the companions of its folder."""
    out: dict[str, dict[str, str]] = {}
    for companion in plan.companions:
        params = read_params(companion.path, companion.name, report, limits)
        if params is None:
            continue
        here = folder_of(companion.name)
        matches = [s for s in plan.sources if folder_of(s.name) == here]
        if not matches and len(plan.sources) == 1:
            matches = plan.sources
        if not matches:
            report.warn(
                f"“{companion.name}” is in no folder with a metrics file; its params were skipped."
            )
            continue
        for source in matches:
            out.setdefault(source.name, {}).update(params)
        if params:
            report.decide(
                "params",
                f"{len(params)} from “{companion.name}”",
                f"it is in the folder of {', '.join(f'“{s.name}”' for s in matches[:3])}"
                if folder_of(matches[0].name) == here
                else "it is the only data file of the import",
            )
    return out


def kind_of(name: str, head: bytes) -> str | None:
    """A cheap look at an upload's first bytes: "companion", "zip", a format name, or None."""
    if is_companion(name):
        return "companion"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    text = head.decode("utf-8-sig", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return "hf_trainer_state" if hf_trainer.looks_like_trainer_state(text) else "jsonl"
    if text.startswith("["):
        return _sniff_json_array(text).format or "tensorboard_json"
    first = text.splitlines()[0] if text else ""
    if not first:
        return None
    delimiter = max(",;\t|", key=first.count)
    try:
        columns = next(csv.reader([first], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    return classify_columns([c.strip().strip('"').lower() for c in columns])


def group_uploads(names: list[str], kinds: list[str | None]) -> list[list[int]]:
    """The files of one upload as imports (lists of indexes, in the given order).

    Data files of one format make one import (TensorBoard tags of one run meet, Lightning
    versions become runs side by side); a zip or a file of unknown kind is an import of its
    own, so it fails alone; each companion joins the import of the data files in its folder,
    else the only import, else the first.
    """
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    companions: list[int] = []
    for index, kind in enumerate(kinds):
        if kind == "companion":
            companions.append(index)
            continue
        key = kind if kind and kind != "zip" else f"#{index}"
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(index)
    for index in companions:
        here = folder_of(names[index])
        home = next((k for k in order if any(folder_of(names[i]) == here for i in groups[k])), None)
        if home is None and order:
            home = order[0]
        if home is None:
            home = f"#{index}"
            groups[home] = []
            order.append(home)
        groups[home].append(index)
    return [sorted(groups[k]) for k in order]
