"""Where a run's name comes from, best source first.

1. the user's choice (the upload's run name);
2. a run-name column (the parsers read that themselves);
3. Lightning's log folder: `lightning_logs/version_3/metrics.csv` is `version_3`, and with an
   experiment folder above it, `my_exp/version_3/metrics.csv` is `my_exp/version_3`;
4. TensorBoard's download name `run-<run>-tag-<tag>`;
5. the file's folder, for a file named like every other of its kind (`metrics.csv`), else the
   file's stem.

Each name is written in the report as a decision with its source, so a user can see why a run
is called what it is. The paths are the upload's relative paths (up to four parts are kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

VERSION = re.compile(r"version_\d+")
# Folders Lightning and common scripts create by default: they name no experiment.
GENERIC_FOLDERS = {"lightning_logs", "logs", "log", "csv_logs", "tb_logs", "runs", "outputs", ""}
# File names every run of a logger shares: the folder names the run, not the file.
SHARED_STEMS = {"metrics"}  # Lightning CSVLogger
TENSORBOARD_NAMED = (
    re.compile(r"^run-(?P<run>.+?)-tag-(?P<tag>.+)$"),
    re.compile(r"^run_(?P<run>.+?)_tag_(?P<tag>.+)$"),
)
MAX_PARTS = 4


@dataclass(frozen=True)
class Named:
    """A run's name and where it came from (for the report)."""

    name: str
    source: str  # "upload", "lightning", "tensorboard", "folder", "file"
    why: str


def clean_path(name: str, parts: int = MAX_PARTS) -> str:
    """An uploaded file's relative path made safe: "/" separators, no root, "." or "..",
    only its last `parts` parts. "" when nothing is left."""
    pieces = [p.strip() for p in re.split(r"[\\/]+", name or "")]
    pieces = [p for p in pieces if p and p not in (".", "..")]
    pieces = [re.sub(r"[\x00-\x1f]", "", p) for p in pieces[-parts:]]
    return "/".join(p for p in pieces if p)


def parts_of(name: str) -> tuple[str, ...]:
    return PurePosixPath(clean_path(name) or "file").parts


def stem_of(name: str) -> str:
    base = parts_of(name)[-1]
    return re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base) or base


def lightning(name: str) -> Named | None:
    """`.../version_N/<file>` as `version_N`, or `<experiment>/version_N` below a named folder."""
    folders = parts_of(name)[:-1]
    if not folders or not VERSION.fullmatch(folders[-1]):
        return None
    version = folders[-1]
    above = folders[-2] if len(folders) > 1 else ""
    if above.lower() in GENERIC_FOLDERS:
        return Named(version, "lightning", f"Lightning's log folder {version} of “{name}”")
    return Named(
        f"{above}/{version}",
        "lightning",
        f"Lightning's log folder {version} of the experiment {above} (“{name}”)",
    )


def tensorboard(name: str) -> tuple[str, str] | None:
    """(run, tag) from TensorBoard's download name `run-<run>-tag-<tag>.csv`, else None."""
    stem = parts_of(name)[-1]
    stem = re.sub(r"\.(csv|json)$", "", stem, flags=re.IGNORECASE)
    for pattern in TENSORBOARD_NAMED:
        match = pattern.match(stem)
        if match:
            return match.group("run"), match.group("tag")
    return None


def folder(name: str) -> str:
    """The file's folder name ("" for a file without one)."""
    folders = parts_of(name)[:-1]
    return folders[-1] if folders else ""


def for_file(name: str, chosen: str | None = None) -> Named:
    """The name of the one run a file holds (wide CSV, JSON Lines without a run column)."""
    if chosen:
        return Named(chosen, "upload", "the run name given with the upload")
    found = lightning(name)
    if found:
        return found
    stem = stem_of(name)
    if stem.lower() in SHARED_STEMS and folder(name):
        why = f"the folder of “{name}” ({stem} names no run: every run has one)"
        return Named(folder(name), "folder", why)
    return Named(stem or "run", "file", f"the file name “{name}”")


def distinct(names: list[str], named: list[Named]) -> list[Named]:
    """Names for several files of one import made distinct by more of their folders.

    Two `lightning_logs/version_0/metrics.csv` of different projects would otherwise be merged
    into one run; `a/lightning_logs/version_0` and `b/lightning_logs/version_0` keep them apart.
    Names the user chose are kept as they are.
    """
    out = list(named)
    for depth in range(2, MAX_PARTS + 1):
        counts: dict[str, int] = {}
        for n in out:
            counts[n.name] = counts.get(n.name, 0) + 1
        clashes = [i for i, n in enumerate(out) if counts[n.name] > 1 and n.source != "upload"]
        if not clashes:
            break
        for i in clashes:
            folders = parts_of(names[i])[:-1]
            if len(folders) >= depth:
                longer = "/".join(folders[-depth:])
                if longer != out[i].name:
                    out[i] = Named(longer, out[i].source, out[i].why + ", with more of its path")
    return out


def restarted(name: str, number: int) -> str:
    """The name of the number-th training appended to one log file (number >= 2)."""
    return f"{name} · {number}"
