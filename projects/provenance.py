"""Where a run's numbers came from, in words a reader can check.

Runs imported from files cite the files (name, sha256, format, importer); runs logged live
through the MLflow API (tracking/) have an import row of format LIVE_FORMAT whose report holds
the client, host and token prefix of the request that made the run and the times of its first
and last point, and cite those instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .models import ExperimentImport

LIVE_FORMAT = "mlflow-api"


def is_live(experiment_import: ExperimentImport) -> bool:
    return experiment_import.detected_format == LIVE_FORMAT


def _when(value) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return ""
    return moment.astimezone(UTC).strftime("%b %-d, %Y %H:%M:%S UTC")


def live_provenance(experiment_import: ExperimentImport) -> str:
    """'logged through the MLflow API by <client> from <host>, token <prefix>; first point …,
    last point …' for a run logged live, '' for an import of files."""
    if not is_live(experiment_import):
        return ""
    report = experiment_import.report or {}
    text = (
        f"logged through the MLflow API by {report.get('client') or 'an unknown client'} "
        f"from {report.get('host') or 'an unknown host'}, "
        f"token {report.get('token_prefix') or '?'}"
    )
    first, last = _when(report.get("first_point_at")), _when(report.get("last_point_at"))
    if first:
        text += f"; first point {first}"
    if last:
        text += f", last point {last}"
    return text


def points_span(experiment_import: ExperimentImport, first_ms: int, last_ms: int) -> dict:
    """The import's report widened to points logged between first_ms and last_ms."""
    report = dict(experiment_import.report or {})
    first = datetime.fromtimestamp(first_ms / 1000, tz=UTC)
    last = datetime.fromtimestamp(last_ms / 1000, tz=UTC)
    if report.get("first_point_at"):
        first = min(first, datetime.fromisoformat(report["first_point_at"]))
    if report.get("last_point_at"):
        last = max(last, datetime.fromisoformat(report["last_point_at"]))
    report["first_point_at"], report["last_point_at"] = first.isoformat(), last.isoformat()
    return report
