"""An import held for the user's eye, and the preview of its data that they check it with."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.utils import timezone

from .. import importers
from ..models import ExperimentImport, ImportStatus
from .files import local_files


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


def import_preview(*, experiment_import: ExperimentImport, choices=None):
    """The preview of an import's data file (importers.preview), read with its saved choices
    (or the ones given), with the import's own report laid over the sample's guesses."""
    from ..importers.preview import preview

    imp = experiment_import
    if choices is None:
        choices = importers.Choices.from_dict(imp.choices)
    workdir = Path(tempfile.mkdtemp(prefix="cairn-preview-"))
    try:
        shown = preview(
            local_files(imp, workdir), choices=choices, format=imp.requested_format or None
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
