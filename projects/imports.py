"""Services of experiment imports: upload, process (in a worker), retry, delete.

An import is a row with a status; a worker claims it atomically, parses its files with
projects.importers (plain Python over pandas) and writes every run and series in one
transaction, so an import lands whole or leaves nothing.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import importers, signals
from .models import ExperimentImport, ImportFile, ImportStatus, MetricSeries, Project, Run
from .series import VALUE_DTYPE, pack, pack_steps, summarise

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A running import whose worker has not reported for this long is taken to be abandoned
# (settings.CAIRN_IMPORT_STALE_SECONDS; a worker touches its heartbeat every HEARTBEAT_EVERY).
STALE_AFTER = timedelta(seconds=30)
HEARTBEAT_EVERY = 5.0  # seconds, at most: a quarter of the stale time when that is shorter
PROGRESS_EVERY = 0.5  # seconds between progress writes


def stale_after() -> timedelta:
    """How long a queued import may wait, or a running one stay silent, before it is sent again."""
    seconds = getattr(settings, "CAIRN_IMPORT_STALE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds is not None else STALE_AFTER


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


def _spool(upload: Upload, directory: Path) -> tuple[Path, str, int]:
    """Copy an upload to disk while hashing it; refuse it past the size limit.

    Each file gets a folder of its own, so two `metrics.csv` of different folders do not meet.
    """
    limit = _max_bytes()
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(
            f"“{upload.name}” is {megabytes(upload.size)}; the limit is {megabytes(limit)}.",
            too_large=True,
        )
    digest, size = hashlib.sha256(), 0
    folder = directory / str(len(list(directory.iterdir())))
    folder.mkdir()
    path = folder / stored_name(upload_name(upload.name))
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
    return path, digest.hexdigest(), size


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
        shas = sorted(sha for _, sha, _ in spooled)
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
        size=sum(size for _, _, size in spooled),
        requested_format=requested_format,
        run_name=run_name,
        metric_name=metric_name,
    )
    for (path, file_sha, size), name in zip(spooled, kept, strict=True):
        record = ImportFile(experiment_import=imp, original_name=name, size=size, sha256=file_sha)
        with path.open("rb") as handle:
            record.file.save(path.name, File(handle), save=False)
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


def import_enqueue(*, experiment_import: ExperimentImport) -> bool:
    """Send the import to a worker; False (and the row stays queued) when the broker is down."""
    from .tasks import run_import

    try:
        run_import.apply_async(args=[experiment_import.pk], retry=False)
    except Exception:  # the broker is unreachable: the row waits, and is sent again later
        log.warning("Broker unavailable; import %s stays queued", experiment_import.pk)
        return False
    return True


def stalled_imports(*, older_than: timedelta | None = None):
    """Imports nobody is working on: queued for too long, or running with a silent worker."""
    cutoff = timezone.now() - (older_than if older_than is not None else stale_after())
    return ExperimentImport.objects.filter(
        Q(status=ImportStatus.QUEUED, created_at__lt=cutoff)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
        | Q(status=ImportStatus.RUNNING)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
    )


def import_requeue_stalled(
    *, project: Project | None = None, older_than: timedelta | None = None
) -> int:
    """Send again imports that wait too long: queued while the broker was down, or abandoned.

    A queued import sent again is marked (its heartbeat), so that one sweep after another does
    not pile messages up while the first is still waiting for a worker. Returns how many were
    sent.
    """
    stalled = stalled_imports(older_than=older_than)
    if project is not None:
        stalled = stalled.filter(project=project)
    sent = 0
    for imp in stalled:
        if import_enqueue(experiment_import=imp):
            sent += 1
            if imp.status == ImportStatus.QUEUED:
                ExperimentImport.objects.filter(pk=imp.pk, status=ImportStatus.QUEUED).update(
                    heartbeat_at=timezone.now()
                )
    if sent:
        log.info("Sent %s stalled import(s) to a worker again", sent)
    return sent


def _claim(import_id: int, token: str) -> ExperimentImport | None:
    """Take the import for this worker, or None when it is done or another has it."""
    now = timezone.now()
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, heartbeat_at__lt=now - stale_after()
    )
    # The same task delivered again after its worker died may take its own row back.
    claimable |= Q(status=ImportStatus.RUNNING, claimed_by=token)
    claimed = ExperimentImport.objects.filter(claimable, pk=import_id).update(
        status=ImportStatus.RUNNING,
        claimed_by=token,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        started_at=now,
        progress=0.0,
        message="Reading the file",
    )
    return ExperimentImport.objects.get(pk=import_id) if claimed else None


def _fail(imp: ExperimentImport, message: str, report: dict | None = None) -> None:
    ExperimentImport.objects.filter(
        pk=imp.pk, status=ImportStatus.RUNNING, claimed_by=imp.claimed_by
    ).update(
        status=ImportStatus.FAILED,
        message=message,
        report=report or {},
        finished_at=timezone.now(),
        progress=0.0,
    )


def _hold_for_review(imp: ExperimentImport, result) -> None:
    """Stop before writing: a guess about where data lands needs the user's eye."""
    unsure = "; ".join(f"{d.subject}: {d.why}" for d in result.report.uncertain[:3])
    ExperimentImport.objects.filter(
        pk=imp.pk, status=ImportStatus.RUNNING, claimed_by=imp.claimed_by
    ).update(
        status=ImportStatus.REVIEW,
        detected_format=result.format,
        message=f"Check how Cairn read this file before it is imported ({unsure}).",
        report=result.report.as_dict(),
        progress=0.0,
        finished_at=timezone.now(),
    )


class _Progress:
    """Writes progress to the row at most every PROGRESS_EVERY seconds."""

    def __init__(self, imp: ExperimentImport, start: float, end: float):
        self.imp, self.start, self.end, self.last = imp, start, end, 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        ExperimentImport.objects.filter(pk=self.imp.pk, status=ImportStatus.RUNNING).update(
            progress=self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)),
            heartbeat_at=timezone.now(),
        )


class _Heartbeat(threading.Thread):
    """Touches a running import's heartbeat every HEARTBEAT_EVERY seconds from its own thread.

    Long steps without progress callbacks (saving a million points) then never look like a dead
    worker to the sweep; when the whole worker dies, the heartbeat stops with it.
    """

    def __init__(self, import_id: int, token: str):
        super().__init__(name=f"import-{import_id}-heartbeat", daemon=True)
        self.import_id, self.token = import_id, token
        self.stopped = threading.Event()

    def run(self) -> None:
        every = max(0.2, min(HEARTBEAT_EVERY, stale_after().total_seconds() / 4))
        try:
            while not self.stopped.wait(every):
                try:
                    ExperimentImport.objects.filter(
                        pk=self.import_id, status=ImportStatus.RUNNING, claimed_by=self.token
                    ).update(heartbeat_at=timezone.now())
                except Exception:  # a busy database only delays the next beat
                    log.debug("Heartbeat of import %s skipped", self.import_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=HEARTBEAT_EVERY * 2)


def import_process(
    *, import_id: int, token: str, heartbeat: bool = False
) -> ExperimentImport | None:
    """Claim, parse and write one import; returns it, or None when there was nothing to do.

    heartbeat: touch the row from a thread while working (a worker process does; a test or the
    command line running the job in its own process has no other process to convince).
    """
    imp = _claim(import_id, token)
    if imp is None:
        return None
    if not heartbeat:
        return _process(imp, token)
    beat = _Heartbeat(imp.pk, token)
    beat.start()
    try:
        return _process(imp, token)
    finally:
        beat.stop()


def _process(imp: ExperimentImport, token: str) -> ExperimentImport:
    if imp.attempts > MAX_ATTEMPTS:
        _fail(imp, f"Gave up after {MAX_ATTEMPTS} attempts: the worker stopped each time.")
        return imp
    workdir = Path(tempfile.mkdtemp(prefix="cairn-import-"))
    try:
        files = _local_files(imp, workdir)
        choices = importers.Choices.from_dict(imp.choices)
        result = importers.parse(
            files,
            format=imp.requested_format or None,
            choices=choices,
            progress=_Progress(imp, 0.0, 0.8),
        )
    except importers.ImportFailed as exc:
        _fail(imp, str(exc.message))
        return imp
    except Exception as exc:  # a parser bug must not leave the row running forever
        log.exception("Import %s crashed", imp.pk)
        _fail(imp, f"Cairn could not read this file ({type(exc).__name__}).")
        return imp
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if result.report.uncertain and not choices.confirmed:
        _hold_for_review(imp, result)
        imp.refresh_from_db()
        return imp
    ExperimentImport.objects.filter(pk=imp.pk).update(
        progress=0.85, message="Saving runs", heartbeat_at=timezone.now()
    )
    try:
        written = _write(imp, token, result)
    except Exception as exc:  # _write rolled back, so no row is left; neither is the job running
        log.exception("Import %s could not be saved", imp.pk)
        _fail(
            imp,
            f"Cairn could not save the runs of this file ({type(exc).__name__}); "
            "nothing was imported. Try again.",
        )
    else:
        if written:
            # _write has committed (a worker runs outside any transaction): other apps, such as
            # milestones with metric targets, hear of the runs. Their failures are only logged.
            signals.send_safely(signals.import_succeeded, experiment_import=imp)
    imp.refresh_from_db()
    return imp


def _local_files(imp: ExperimentImport, workdir: Path) -> list:
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


@transaction.atomic
def _write(imp: ExperimentImport, token: str, result) -> bool:
    """Everything of one parsed import in one transaction, or nothing; True when written."""
    locked = ExperimentImport.objects.select_for_update().get(pk=imp.pk)
    if locked.status != ImportStatus.RUNNING or locked.claimed_by != token:
        return False  # another delivery of the same task finished or took it over
    # Read again with other choices: the new runs replace the old ones in this transaction,
    # and the public pages that showed the old ones go stale with it.
    if Run.objects.filter(experiment_import_id=imp.pk).exists():
        signals.send_safely(signals.import_runs_replacing, experiment_import=imp)
        Run.objects.filter(experiment_import_id=imp.pk).delete()
    runs = Run.objects.bulk_create(
        [
            Run(
                project_id=imp.project_id,
                experiment_import=imp,
                name=run.name[:255],
                external_id=(run.external_id or "")[:255],
                params=run.params,
                tags=run.tags,
                started_at=run.started_at,
                status=run.status[:20],
                summary={key: s.summary or summarise(s.values) for key, s in run.series.items()},
            )
            for run in result.runs
        ]
    )
    rows = []
    for run_row, run in zip(runs, result.runs, strict=True):
        for key, s in run.series.items():
            summary = run_row.summary[key]
            # In the order of _SERIES_COLUMNS.
            rows.append(
                [
                    run_row.pk,
                    key[:255],
                    len(s.steps),
                    pack_steps(s.steps),
                    pack(s.values, VALUE_DTYPE),
                    pack(s.wall_times, VALUE_DTYPE),
                    pack(getattr(s, "lower", None), VALUE_DTYPE),
                    pack(getattr(s, "upper", None), VALUE_DTYPE),
                    summary["last"],
                    summary["min"],
                    summary["max"],
                ]
            )
    _insert_series(rows)
    ExperimentImport.objects.filter(pk=imp.pk).update(
        status=ImportStatus.SUCCEEDED,
        detected_format=result.format,
        importer_version=importers.IMPORTER_VERSION,
        report=result.report.as_dict(),
        runs_count=len(runs),
        series_count=len(rows),
        points_count=result.points,
        progress=1.0,
        message="",
        finished_at=timezone.now(),
    )
    return True


_SERIES_COLUMNS = (
    ("run_id", "bigint"),
    ("key", "varchar"),
    ("count", "integer"),
    ("steps", "bytea"),
    ("values", "bytea"),
    ("wall_times", "bytea"),
    ("lower", "bytea"),
    ("upper", "bytea"),
    ("last", "float8"),
    ("min", "float8"),
    ("max", "float8"),
)


def _insert_series(values: list[list]) -> None:
    """Insert series rows (values in the order of _SERIES_COLUMNS); on PostgreSQL by binary COPY.

    An INSERT sends each array as escaped text in the statement, which PostgreSQL must parse:
    for a million points that took longer than the whole rest of the import. Binary COPY sends
    the bytes as they are.
    """
    table = connection.ops.quote_name(MetricSeries._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name, _ in _SERIES_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # executemany with plain values: building a model instance per row cost more than
            # the insert itself.
            marks = ", ".join(["%s"] * len(_SERIES_COLUMNS))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            for start in range(0, len(values), 500):
                cursor.executemany(sql, values[start : start + 500])
            return
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([kind for _, kind in _SERIES_COLUMNS])
            for value in values:
                copy.write_row(value)


def import_retry(
    *,
    experiment_import: ExperimentImport,
    choices: dict | None = None,
    run_name: str | None = None,
    metric_name: str | None = None,
    requested_format: str | None = None,
) -> ExperimentImport:
    """Queue a failed or held import again, read with new choices or names when given.

    A stranded import (queued or running with nobody working on it, see stalled_imports) is
    sent to a worker again as it is. An import in any other state is left as it is. Bad choices
    raise importers.ImportFailed; an unknown format too.
    """
    if requested_format and requested_format not in importers.FORMATS:
        raise importers.ImportFailed(f"Unknown format “{requested_format}”.")
    if stalled_imports().filter(pk=experiment_import.pk).exists():
        ExperimentImport.objects.filter(pk=experiment_import.pk).update(attempts=0)
        transaction.on_commit(lambda: import_enqueue(experiment_import=experiment_import))
        experiment_import.refresh_from_db()
        return experiment_import
    changes: dict = {}
    if requested_format is not None:
        changes["requested_format"] = requested_format
    if choices is not None:
        changes["choices"] = importers.Choices.from_dict(choices).as_dict()
    if run_name is not None:
        changes["run_name"] = run_name
    if metric_name is not None:
        changes["metric_name"] = metric_name
    updated = ExperimentImport.objects.filter(
        pk=experiment_import.pk, status__in=[ImportStatus.FAILED, ImportStatus.REVIEW]
    ).update(
        status=ImportStatus.QUEUED,
        attempts=0,
        claimed_by="",
        progress=0.0,
        message="",
        report={},
        finished_at=None,
        **changes,
    )
    if updated:
        transaction.on_commit(lambda: import_enqueue(experiment_import=experiment_import))
    experiment_import.refresh_from_db()
    return experiment_import


@transaction.atomic  # what receivers change before the delete stands or falls with it
def import_delete(*, experiment_import: ExperimentImport) -> None:
    """Delete an import with its runs, series and stored files."""
    names = [record.file.name for record in experiment_import.files.all()]
    storage = ImportFile._meta.get_field("file").storage
    signals.send_safely(signals.import_deleting, experiment_import=experiment_import)
    experiment_import.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def import_reread(*, experiment_import: ExperimentImport, choices: dict) -> ExperimentImport:
    """Queue an import again, read with the owner's choices, whatever its state when done.

    A succeeded import keeps its runs until the new reading is written; then they are
    replaced in one transaction (see _write). Queued or running imports are left as they are.
    Bad choices raise importers.ImportFailed.
    """
    checked = importers.Choices.from_dict(choices).as_dict()
    updated = ExperimentImport.objects.filter(
        pk=experiment_import.pk,
        status__in=[ImportStatus.FAILED, ImportStatus.REVIEW, ImportStatus.SUCCEEDED],
    ).update(
        status=ImportStatus.QUEUED,
        attempts=0,
        claimed_by="",
        progress=0.0,
        message="",
        finished_at=None,
        choices=checked,
    )
    if updated:
        transaction.on_commit(lambda: import_enqueue(experiment_import=experiment_import))
    experiment_import.refresh_from_db()
    return experiment_import


def import_preview(*, experiment_import: ExperimentImport, choices=None):
    """The preview of an import's data file (importers.preview), read with its saved choices
    (or the ones given), with the import's own report laid over the sample's guesses."""
    from .importers.preview import preview

    imp = experiment_import
    if choices is None:
        choices = importers.Choices.from_dict(imp.choices)
    workdir = Path(tempfile.mkdtemp(prefix="cairn-preview-"))
    try:
        shown = preview(
            _local_files(imp, workdir), choices=choices, format=imp.requested_format or None
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = imp.report or {}
    roles = report.get("roles") or {}
    # The whole file's reading settles what a sample may not (a date order, say), when the
    # import was read with the same choices.
    if roles and importers.Choices.from_dict(imp.choices) == choices:
        for column in shown.columns:
            if column.name in roles and not column.by_user:
                column.role, column.why = roles[column.name][0], roles[column.name][1]
        decisions = [
            importers.Decision(
                d["subject"], d["choice"], d["why"], d.get("certain", True), d.get("file", "")
            )
            for d in report.get("decisions") or []
        ]
        if decisions:
            shown.decisions = decisions
            shown.has_dates = shown.has_dates or any(
                d.subject.startswith("dates") for d in decisions
            )
    return shown
