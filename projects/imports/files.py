"""The names an upload is kept under, and an import's files laid out on disk for the parser."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path, PurePosixPath

from .. import importers
from ..models import ExperimentImport

# A file name on disk: most file systems take 255 bytes, and a long non-ASCII name (three bytes a
# character) passes that long before 255 characters.
MAX_STORED_NAME_BYTES = 150
NAME_LENGTH = 255  # ImportFile.original_name
TEXT_LENGTH = 200  # ExperimentImport.run_name and metric_name


def _clip_bytes(text: str, limit: int) -> str:
    return text.encode(errors="replace")[:limit].decode(errors="ignore")


def stored_name(name: str) -> str:
    """The name an upload is kept under on disk: its own when it is short and plain, else its
    start, a short hash and its extension, under MAX_STORED_NAME_BYTES."""
    name = Path(name.replace("\\", "/").replace("\x00", "")).name.strip()
    if name in {"", ".", ".."}:
        return "upload"
    if len(name.encode(errors="replace")) <= MAX_STORED_NAME_BYTES and name.isprintable():
        return name
    suffix = Path(name).suffix
    if len(suffix) > 16 or not (suffix.isascii() and suffix[1:].isalnum()):
        suffix = ""
    digest = hashlib.sha256(name.encode(errors="replace")).hexdigest()[:12]
    plain = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name)
    stem = _clip_bytes(plain[: len(plain) - len(suffix)], MAX_STORED_NAME_BYTES - 32)
    return f"{stem}-{digest}{suffix}"


def shown_name(name: str) -> str:
    """The upload's name (its kept relative path) as the user gave it, shortened in the middle
    only past NAME_LENGTH."""
    if len(name) <= NAME_LENGTH:
        return name
    keep = (NAME_LENGTH - 1) // 2
    return f"{name[:keep]}…{name[-keep:]}"


def upload_name(name: str) -> str:
    """An upload's relative path as kept (`lightning_logs/version_3/metrics.csv`): up to four
    parts, no root, "." or "..": the folders name runs (Lightning's version_N)."""
    return importers.clean_path(name) or "file"


def local_files(imp: ExperimentImport, workdir: Path) -> list:
    files = []
    for number, record in enumerate(imp.files.all()):
        # The relative path is kept (its folders name runs), under a folder of its own; each
        # part as a file system can hold it.
        name = upload_name(record.original_name)
        parts = PurePosixPath(name).parts
        target = workdir / str(number) / "/".join(stored_name(part) for part in parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # On local storage, link rather than copy: a big file is read once, by the parser.
            target.symlink_to(record.file.path)
        except (NotImplementedError, AttributeError, OSError):
            with record.file.open("rb") as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        files.append(
            importers.InputFile(
                path=target,
                name=name,
                run_name=imp.run_name or None,
                metric_name=imp.metric_name or None,
            )
        )
    return files
