"""Artifacts of runs: files that training code logged (mlflow.log_artifact, log_figure, log_text,
log_dict). Stored whole in STORAGES["artifacts"] under the upload size limit; what a file may be
served as is decided here, from its bytes, once.

Serving rule: an image whose bytes are PNG, JPEG, GIF or WebP is served as that image; a text or
JSON file as text/plain; anything else (HTML, SVG, archives, pickles...) only as a download. Every
answer carries nosniff and a sandboxing CSP, so no user byte ever runs as a page of this site.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import FileResponse

from .models import ArtifactKind, Run, RunArtifact

MAX_PATH = 500
CHUNK = 1024 * 1024
# The viewer shows this much of a text file; the rest is in the download.
TEXT_PREVIEW_BYTES = 512 * 1024
# Names whose bytes are read as text when they decode as UTF-8.
TEXT_SUFFIXES = {
    ".txt", ".log", ".md", ".csv", ".tsv", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".py",
    ".json", ".jsonl", ".ndjson", ".out", ".err", ".conf", ".sh", ".rst",
}  # fmt: skip
IMAGE_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
# Served to browsers with every file: the bytes cannot run script or load anything, even if a
# browser were to render them.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ArtifactRefused(ValueError):
    """A path or file that is not stored; the message says why, for the caller to read."""


def clean_path(raw: str) -> str:
    """A relative artifact path with forward slashes, or ArtifactRefused: no absolute path, no
    `..`, no empty or dot parts, no control characters."""
    if not raw or len(raw) > MAX_PATH:
        raise ArtifactRefused(f"An artifact path must be 1 to {MAX_PATH} characters long.")
    if any(ord(c) < 32 or c == "\\" for c in raw):
        raise ArtifactRefused("An artifact path may not hold backslashes or control characters.")
    if raw.startswith("/"):
        raise ArtifactRefused("An artifact path must be relative to the run's artifact root.")
    parts = raw.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ArtifactRefused(f"Invalid artifact path: “{raw}”. Use names joined by '/'.")
    return raw


def max_bytes() -> int:
    return settings.CAIRN_MAX_UPLOAD_BYTES


def _too_big(size: int) -> ArtifactRefused:
    limit = max_bytes()
    return ArtifactRefused(
        f"The file is larger than {limit / 1e6:g} MB, the largest artifact Cairn keeps "
        f"(CAIRN_MAX_UPLOAD_MB)."
    )


def sniff(name: str, head: bytes) -> tuple[str, str]:
    """(kind, content type) of a file from its first bytes and its name's suffix."""
    for magic, content_type in IMAGE_MAGIC:
        if head.startswith(magic):
            return ArtifactKind.IMAGE, content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ArtifactKind.IMAGE, "image/webp"
    suffix = posixpath.splitext(name.lower())[1]
    if suffix in TEXT_SUFFIXES and b"\x00" not in head:
        try:
            # A multi-byte character cut at the end of the sample is still text.
            head.decode("utf-8") if len(head) < CHUNK else head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return ArtifactKind.BINARY, ""
        return (ArtifactKind.JSON if suffix == ".json" else ArtifactKind.TEXT), ""
    return ArtifactKind.BINARY, ""


def artifact_store(
    *, run: Run, path: str, stream: BinaryIO, length: int | None = None
) -> RunArtifact:
    """Store the bytes of stream as the run's artifact at path (replacing the file that was
    there), refusing them past the upload size limit before anything is kept."""
    path = clean_path(path)
    limit = max_bytes()
    if length is not None and length > limit:
        raise _too_big(length)
    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.TemporaryFile() as spool:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise _too_big(size)
            if len(head) < CHUNK:
                head += chunk[: CHUNK - len(head)]
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        kind, content_type = sniff(path, head)
        with transaction.atomic():
            old = RunArtifact.objects.select_for_update().filter(run=run, path=path).first()
            artifact = old or RunArtifact(run=run, path=path)
            old_name = old.file.name if old else ""
            artifact.size, artifact.sha256 = size, digest.hexdigest()
            artifact.kind, artifact.content_type = kind, content_type
            artifact.file.save(posixpath.basename(path), File(spool), save=False)
            artifact.save()
            if old_name and old_name != artifact.file.name:
                storage = artifact.file.storage
                transaction.on_commit(lambda: storage.delete(old_name))
    return artifact


@dataclass(frozen=True)
class Entry:
    """One line of a listing: a file or a folder directly under the listed folder."""

    name: str
    is_dir: bool
    size: int | None


def artifact_listing(*, run: Run, folder: str = "") -> list[Entry]:
    """The files and folders directly under folder ("" for the run's root), folders first."""
    prefix = f"{clean_path(folder)}/" if folder else ""
    files: dict[str, Entry] = {}
    folders: set[str] = set()
    rows = RunArtifact.objects.filter(run=run)
    if prefix:
        rows = rows.filter(path__startswith=prefix)
    for path, size in rows.values_list("path", "size"):
        rest = path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            folders.add(head)
        else:
            files[head] = Entry(head, False, size)
    return [Entry(name, True, None) for name in sorted(folders)] + [
        files[name] for name in sorted(files)
    ]


def artifact_at(*, run: Run, path: str) -> RunArtifact | None:
    return RunArtifact.objects.filter(run=run, path=path).first()


def file_response(artifact: RunArtifact, *, download: bool = False) -> FileResponse:
    """The artifact's bytes with the type its kind allows: an image as itself, text and JSON as
    plain text, anything else (or download=True) as an attachment."""
    handle = artifact.file.open("rb")
    if artifact.kind == ArtifactKind.IMAGE and not download:
        response = FileResponse(handle, content_type=artifact.content_type)
    elif artifact.kind in (ArtifactKind.TEXT, ArtifactKind.JSON) and not download:
        response = FileResponse(handle, content_type="text/plain; charset=utf-8")
    else:
        response = FileResponse(
            handle,
            content_type="application/octet-stream",
            as_attachment=True,
            filename=artifact.name,
        )
    for header, value in FILE_HEADERS.items():
        response[header] = value
    return response


@dataclass
class TextPreview:
    text: str
    cut: bool
    pretty: bool  # JSON indented for reading


def text_preview(artifact: RunArtifact) -> TextPreview | None:
    """The start of a text or JSON artifact for the viewer (JSON indented when it is whole and
    parses); None for images and binary files."""
    if artifact.kind not in (ArtifactKind.TEXT, ArtifactKind.JSON):
        return None
    with artifact.file.open("rb") as handle:
        raw = handle.read(TEXT_PREVIEW_BYTES + 1)
    cut = len(raw) > TEXT_PREVIEW_BYTES
    text = raw[:TEXT_PREVIEW_BYTES].decode("utf-8", errors="replace")
    if artifact.kind == ArtifactKind.JSON and not cut:
        try:
            return TextPreview(
                json.dumps(json.loads(text), indent=2, ensure_ascii=False), False, True
            )
        except ValueError:
            pass
    return TextPreview(text, cut, False)
