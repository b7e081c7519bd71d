"""One import in a worker: claim it, parse its files, hold it for review or write it whole."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from django.utils import timezone

from .. import importers, signals
from ..models import ExperimentImport
from .claim import _claim, _fail, _Heartbeat, _Progress
from .files import local_files
from .lifecycle import MAX_ATTEMPTS
from .review import _hold_for_review
from .write import _write

log = logging.getLogger(__name__)


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
        files = local_files(imp, workdir)
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
