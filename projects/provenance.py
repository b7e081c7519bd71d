"""Where a run's numbers came from, in words a reader can check.

Runs imported from files cite the files (name, sha256, format, importer); runs logged live
through the MLflow API (tracking/) have an import row of format LIVE_FORMAT whose report holds
the client, host and token prefix of the request that made the run and the times of its first
and last point, and cite those instead. Runs pulled from an MLflow server or store (mlsync/) have
an import row of format SYNC_FORMAT whose report names the server or store, the experiment, the
MLflow run id, the time of the last sync that changed the run, and its deletion in MLflow.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .models import ExperimentImport

LIVE_FORMAT = "mlflow-api"
SYNC_FORMAT = "mlflow-sync"


def is_live(experiment_import: ExperimentImport) -> bool:
    return experiment_import.detected_format == LIVE_FORMAT


def is_synced(experiment_import: ExperimentImport) -> bool:
    return experiment_import.detected_format == SYNC_FORMAT


def has_files(experiment_import: ExperimentImport) -> bool:
    """Whether the import's runs came from files that could be read again."""
    return experiment_import.detected_format not in (LIVE_FORMAT, SYNC_FORMAT)


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
    last point …' for a run logged live, the sync's words (synced_provenance) for a run pulled
    from MLflow, '' for an import of files."""
    if is_synced(experiment_import):
        return synced_provenance(experiment_import)
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


def synced_provenance(experiment_import: ExperimentImport) -> str:
    """'synced from <server or store>, experiment “<name>” (<id>), MLflow run <id>, last synced
    <time>' and, for a run deleted in MLflow since, '; deleted in MLflow (seen <time>)'."""
    if not is_synced(experiment_import):
        return ""
    report = experiment_import.report or {}
    text = (
        f"synced from {report.get('source') or 'an MLflow tracker'}, experiment "
        f"“{report.get('experiment_name') or '?'}” ({report.get('experiment_id') or '?'}), "
        f"MLflow run {report.get('run_id') or '?'}"
    )
    if synced := _when(report.get("synced_at")):
        text += f", last synced {synced}"
    if report.get("deleted_at"):
        text += f"; deleted in MLflow (seen {_when(report['deleted_at'])})"
    return text
