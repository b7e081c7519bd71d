"""An upload becomes an import: spooled to disk while hashed, stored, and queued once."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, transaction

from .. import importers
from ..models import ExperimentImport, ImportFile, ImportStatus, Project
from .files import NAME_LENGTH, TEXT_LENGTH, shown_name, stored_name, upload_name
from .lifecycle import import_enqueue, import_retry


class UploadRefused(Exception):
    """An upload that cannot become an import (too large, empty, too many files)."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


def megabytes(size: int) -> str:
    """A size for people: 1.6 MB, 200 MB."""
    return f"{size / 1e6:.3g} MB"


@dataclass
class Upload:
    """A file as received: a readable binary stream with its original name and size."""

    name: str
    stream: object
    size: int


def _max_bytes() -> int:
    return getattr(settings, "CAIRN_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)


@dataclass
class Spooled:
    """An upload on disk, hashed: a file of our own to copy (`path`), or the request's own
    temporary file (`received`), which storage moves into place."""

    name: str
    sha256: str
    size: int
    path: Path | None = None
    received: object = None

    def store(self, field) -> None:
        """Save the file into a FileField (without saving its model)."""
        if self.received is not None:
            field.save(self.name, self.received, save=False)
            return
        with self.path.open("rb") as handle:
            field.save(self.name, File(handle), save=False)


def _refuse_size(upload: Upload, size: int, limit: int) -> None:
    if size > limit:
        raise UploadRefused(
            f"“{upload.name}” is {megabytes(size)}; the limit is {megabytes(limit)}.",
            too_large=True,
        )


def _spool(upload: Upload, directory: Path) -> Spooled:
    """Have an upload on disk and hashed; refuse it past the size limit.

    A file the upload handler already wrote and hashed (projects.uploads) is used as it is;
    others (small files kept in memory, API streams) are copied while hashed, each into a
    folder of its own, so two `metrics.csv` of different folders do not meet.
    """
    limit = _max_bytes()
    if upload.size is not None:
        _refuse_size(upload, upload.size, limit)
    name = stored_name(upload_name(upload.name))
    received_sha = getattr(upload.stream, "sha256", None)
    if received_sha and hasattr(upload.stream, "temporary_file_path"):
        size = upload.stream.size
        _refuse_size(upload, size, limit)
        if size == 0:
            raise UploadRefused(f"“{upload.name}” is empty.")
        return Spooled(name=name, sha256=received_sha, size=size, received=upload.stream)
    digest, size = hashlib.sha256(), 0
    folder = directory / str(len(list(directory.iterdir())))
    folder.mkdir()
    path = folder / name
    with path.open("wb") as out:
        read = getattr(upload.stream, "chunks", None)
        chunks = read() if read else iter(lambda: upload.stream.read(1 << 20), b"")
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise UploadRefused(
                    f"“{upload.name}” is larger than the limit of {megabytes(limit)}.",
                    too_large=True,
                )
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise UploadRefused(f"“{upload.name}” is empty.")
    return Spooled(name=name, sha256=digest.hexdigest(), size=size, path=path)


def import_create(
    *,
    project: Project,
    user: AbstractBaseUser | None,
    uploads: Iterable[Upload],
    requested_format: str = "",
    run_name: str = "",
    metric_name: str = "",
    choices: dict | None = None,
) -> tuple[ExperimentImport, bool]:
    """Store uploaded files as one import and queue it; returns (import, queued now).

    The same files twice give the first import: as it is when it succeeded or is still under
    way (queued False), or queued again with the new names and choices when it had failed or
    was held for review (queued True). Identical uploads at the same moment all get the one
    import. Bad choices raise UploadRefused.
    """
    if requested_format and requested_format not in importers.FORMATS:
        raise UploadRefused(f"Unknown format “{requested_format}”.")
    if choices is not None:
        try:
            choices = importers.Choices.from_dict(choices).as_dict()
        except importers.ImportFailed as exc:
            raise UploadRefused(str(exc.message)) from None
    for label, text in (("run name", run_name), ("metric name", metric_name)):
        if len(text) > TEXT_LENGTH:
            raise UploadRefused(
                f"The {label} is {len(text):,} characters long; at most {TEXT_LENGTH} fit."
            )
    workdir = Path(tempfile.mkdtemp(prefix="cairn-upload-"))
    try:
        uploads = list(uploads)
        spooled = [_spool(upload, workdir) for upload in uploads]
        kept = [shown_name(upload_name(upload.name)) for upload in uploads]
        if not spooled:
            raise UploadRefused("Choose at least one file.")
        shas = sorted(s.sha256 for s in spooled)
        sha = shas[0] if len(shas) == 1 else hashlib.sha256("\n".join(shas).encode()).hexdigest()
        existing = ExperimentImport.objects.filter(project=project, sha256=sha).first()
        if existing is None:
            try:
                # A savepoint: when an identical upload won the race, only this insert is undone.
                with transaction.atomic():
                    imp = _create(
                        project, user, spooled, kept, sha, requested_format, run_name, metric_name
                    )
                    if choices is not None:
                        imp.choices = choices
                        imp.save(update_fields=["choices"])
                    transaction.on_commit(lambda: import_enqueue(experiment_import=imp))
                return imp, True
            except IntegrityError:
                existing = ExperimentImport.objects.filter(project=project, sha256=sha).first()
                if existing is None:
                    raise
        return _again(existing, requested_format, run_name, metric_name, choices)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _create(project, user, spooled, kept, sha, requested_format, run_name, metric_name):
    imp = ExperimentImport.objects.create(
        project=project,
        uploaded_by=user,
        original_name=", ".join(kept)[:NAME_LENGTH],
        sha256=sha,
        size=sum(s.size for s in spooled),
        requested_format=requested_format,
        run_name=run_name,
        metric_name=metric_name,
    )
    for spool, name in zip(spooled, kept, strict=True):
        record = ImportFile(
            experiment_import=imp, original_name=name, size=spool.size, sha256=spool.sha256
        )
        spool.store(record.file)
        record.save()
    return imp


def _again(existing, requested_format, run_name, metric_name, choices):
    """The same files uploaded again: a failed or held import runs again, read as now asked."""
    if existing.status not in (ImportStatus.FAILED, ImportStatus.REVIEW):
        return existing, False
    retried = import_retry(
        experiment_import=existing,
        choices=choices,
        run_name=run_name,
        metric_name=metric_name,
        requested_format=requested_format,
    )
    # Two identical re-uploads at once: one of them queued it again, the other sees it queued.
    return retried, retried.status == ImportStatus.QUEUED


def imports_create(
    *,
    project: Project,
    user: AbstractBaseUser | None,
    uploads: Iterable[Upload],
    requested_format: str = "",
    run_name: str = "",
    metric_name: str = "",
) -> list[tuple[ExperimentImport, bool]]:
    """Store the files of one upload as imports and queue them; (import, queued now) each.

    Files of one format are one import, each hparams.yaml or meta_tags.csv with the metrics of
    its folder; other files one import each, so one bad file fails alone. The run and metric
    names apply only when the upload makes one import. UploadRefused stops at the first refusal.
    """
    uploads = list(uploads)
    groups = importers.group_uploads([u.name for u in uploads], [_kind(u) for u in uploads])
    groups = groups or [[]]
    one = len(groups) == 1
    return [
        import_create(
            project=project,
            user=user,
            uploads=[uploads[i] for i in group],
            requested_format=requested_format,
            run_name=run_name if one else "",
            metric_name=metric_name if one else "",
        )
        for group in groups
    ]


def _kind(upload: Upload) -> str | None:
    head = upload.stream.read(1 << 16)
    upload.stream.seek(0)
    return importers.kind_of(upload.name, head)
