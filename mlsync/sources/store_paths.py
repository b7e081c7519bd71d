"""Which MLflow store on the workers' machine a connection may read, and what kind it is.

A store path names a folder or file on the machine the Celery workers run on, so under
production settings it could otherwise point a sync at anything the workers can read. There a
path is accepted only inside one of the folders of `CAIRN_SYNC_STORE_ROOTS` (separated like PATH),
after symlinks and `..` are resolved, so neither can step outside. Locally (`make run`) any
store is accepted unless the variable is set, in which case it applies there too.

`store_path_check` is the one check: the connection form calls it to refuse a path as it is
typed, and the store sources call it again each time they open the store (a root removed from
the list since stops the next sync).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .base import SourceError

FILES = "files"
SQLITE = "sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
# The names MLflow's own docs give a store, looked for inside a folder named instead.
SQLITE_NAMES = ("mlflow.db",)
FOLDER_NAMES = ("mlruns",)


@dataclass(frozen=True)
class StorePath:
    path: Path  # resolved: symlinks followed, absolute
    kind: str  # FILES or SQLITE


def _strip_uri(text: str) -> str:
    """'sqlite:////srv/mlflow.db' and 'file:///srv/mlruns' as plain paths: users paste them."""
    for prefix in ("sqlite:///", "file://"):
        if text.startswith(prefix):
            return text.removeprefix(prefix)
    return text


def _settings() -> tuple[list[str], bool]:
    from django.conf import settings

    roots = list(getattr(settings, "CAIRN_SYNC_STORE_ROOTS", []) or [])
    return roots, bool(getattr(settings, "IS_PRODUCTION", False))


def store_path_check(
    raw: str, *, roots: list[str] | None = None, production: bool | None = None
) -> StorePath:
    """The store at raw, resolved and allowed, or SourceError saying why it may not be read.

    roots and production default to the settings (CAIRN_SYNC_STORE_ROOTS, IS_PRODUCTION).
    """
    if roots is None or production is None:
        setting_roots, setting_production = _settings()
        roots = setting_roots if roots is None else roots
        production = setting_production if production is None else production
    text = _strip_uri((raw or "").strip())
    if not text:
        raise SourceError("Give the path of an MLflow store folder or mlflow.db file.")
    if "\x00" in text:
        raise SourceError("That path has a NUL character in it; it cannot be a file name.")
    if not os.path.isabs(text):
        raise SourceError(
            f"“{raw}” is not a full path. Give the whole path on the workers' machine, "
            "starting with /."
        )
    path = Path(os.path.realpath(text))
    _check_allowed(path, raw, roots, production)
    if not path.exists():
        raise SourceError(f"There is no folder or file at {path} on the workers' machine.")
    return StorePath(path=path, kind=_kind(path))


def _check_allowed(path: Path, raw: str, roots: list[str], production: bool) -> None:
    resolved_roots = [Path(os.path.realpath(root)) for root in roots if os.path.isabs(root)]
    if not resolved_roots:
        if production:
            raise SourceError(
                "Reading MLflow stores on the server is turned off: CAIRN_SYNC_STORE_ROOTS "
                "names no folder. Ask the administrator to add the store's folder to it, or "
                "sync from an MLflow tracking server instead."
            )
        return
    if not any(path == root or path.is_relative_to(root) for root in resolved_roots):
        raise SourceError(
            f"“{raw}” is outside the folders MLflow stores may be read from "
            f"(CAIRN_SYNC_STORE_ROOTS: {', '.join(str(root) for root in resolved_roots)})."
        )


def _kind(path: Path) -> str:
    if path.is_dir():
        if _has_experiments(path):
            return FILES
        for name in SQLITE_NAMES:
            if (path / name).is_file():
                raise SourceError(
                    f"{path} is a folder holding {name}; give the path of {path / name} itself."
                )
        for name in FOLDER_NAMES:
            if _has_experiments(path / name):
                raise SourceError(f"{path} holds an MLflow store in {path / name}; give that path.")
        raise SourceError(
            f"{path} is not an MLflow store folder: it has no experiment folders with a "
            "meta.yaml (an mlruns folder has 0/meta.yaml)."
        )
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise SourceError(f"Cairn cannot read {path}: {exc.strerror or exc}.") from None
    if head != SQLITE_MAGIC:
        raise SourceError(
            f"{path} is not an MLflow store: it is neither an mlruns folder nor an SQLite "
            "database such as mlflow.db."
        )
    return SQLITE


def _has_experiments(folder: Path) -> bool:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise SourceError(f"Cairn cannot read {folder}: {exc.strerror or exc}.") from None
    return any(
        entry.is_dir() and os.path.isfile(os.path.join(entry.path, "meta.yaml"))
        for entry in entries
        if not entry.name.startswith(".")
    )


def open_store(raw: str):
    """The Source reading the store at raw (a folder or an mlflow.db file), checked as above."""
    checked = store_path_check(raw)
    if checked.kind == FILES:
        from .store_files import FileStoreSource

        return FileStoreSource(str(checked.path))
    from .store_sqlite import SqliteStoreSource

    return SqliteStoreSource(str(checked.path))
