"""A parsed import written in one transaction that checks the claim again under a row lock."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from .. import importers, signals
from ..models import ExperimentImport, ImportStatus, MetricSeries, Run
from ..series import VALUE_DTYPE, pack, pack_steps, summarise


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
