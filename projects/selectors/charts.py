"""Reads behind the Charts tab and its cards: a metric's points for some runs, the runs to choose
from (best first), the metrics a project has, and the whole Charts page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from .. import appends
from ..charts import ChartOptions, SeriesData, Target
from ..labels import labels_for, run_labels
from ..metrics import metric_direction, rank, summary_best
from ..models import MetricSeries, Project, Run
from ..series import VALUE_DTYPE, unpack

DEFAULT_RUNS = 10
# A chart of summaries shows more runs than a chart of curves: a dot per run stays readable.
DEFAULT_SUMMARY_RUNS = 30


def series_for_chart(
    *, project: Project, key: str, run_ids: list[int], wall_times: bool = False
) -> list[SeriesData]:
    """The points of one metric for the given runs of the project, in the order of run_ids;
    runs of other projects and runs without the metric are left out."""
    # Points logged live and not folded yet are read beside the series (projects.appends).
    pending = appends.pending_for(run_ids=run_ids, key=key) if run_ids else {}
    fields = ["run_id", "run__params", "count", "steps", "values"]
    if wall_times or pending:
        fields.append("wall_times")
    runs = Run.objects.current().filter(project=project, pk__in=run_ids)
    rows = binary_rows(MetricSeries.objects.filter(run__in=runs, key=key).values_list(*fields))
    by_run = {}
    labels = labels_for(project, run_ids) if run_ids else {}
    for row in rows:
        series = MetricSeries(count=row[2], steps=row[3], values=row[4])
        times = unpack(row[5], VALUE_DTYPE) if len(row) > 5 else None
        steps, values = series.step_array(), series.value_array()
        if row[0] in pending:
            points = appends.merge_pending(appends.series_points(series, times), pending[row[0]])
            steps, values, times = points.steps, points.values, points.timestamps / 1000.0
        by_run[row[0]] = SeriesData(
            name=labels.get(row[0], str(row[0])),
            steps=steps,
            values=values,
            wall_times=times if wall_times else None,
            params=(json.loads(row[1]) if isinstance(row[1], str) else row[1]) or {},
            run_id=row[0],
        )
    return [by_run[i] for i in run_ids if i in by_run]


def binary_rows(rows: QuerySet) -> list[tuple]:
    """The rows of a values_list() query, raw (no field conversions: JSON may come as text).

    On PostgreSQL they are fetched in binary format: in text format each array of points comes
    back as hex, twice its size, to be decoded again, which took three quarters of the time of a
    chart of a million points.
    """
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return list(rows)
    import psycopg

    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (pk__in=[]): no query to send
        return []
    connection.ensure_connection()
    # Django's cursors bind on the client, which has no binary results; a cursor binding on
    # the server has, and Django's wrapper keeps its error handling and query logging.
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    with connection._prepare_cursor(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def project_target(project: Project, key: str) -> Target | None:
    """The project's success target when it is about this metric."""
    revision = project.current_revision
    if revision is None or revision.success_metric != key or revision.success_target is None:
        return None
    return Target(
        value=revision.success_target,
        direction=metric_direction(key, project, revision=revision),
    )


@dataclass
class RunChoice:
    id: int
    name: str
    best: float | None
    checked: bool
    metrics: frozenset = frozenset()
    points: int = 0  # of the metric: 1 for a summary (a runs-table row), more for a curve


def _points(summary: dict | None, key: str) -> int:
    stats = (summary or {}).get(key) or {}
    count = stats.get("count")
    return int(count) if isinstance(count, int | float) else 2


def run_choices(
    *, project: Project, key: str, q: str = "", chosen: list[int] | None = None
) -> list[RunChoice]:
    """The project's runs, curves before one-point summaries, then best first on the metric,
    filtered by words in the name or params; the chosen ones checked, or by default the best
    DEFAULT_RUNS with a curve of the metric (the best summaries when no run has a curve)."""
    rows = list(
        Run.objects.current()
        .filter(project=project)
        .values("id", "name", "params", "summary", "started_at")
    )
    labels = run_labels(rows)
    words = q.lower().split()
    direction = metric_direction(key, project)
    choices = []
    for row in rows:
        run_id, params, summary = row["id"], row["params"], row["summary"]
        checked = chosen is not None and run_id in chosen
        if words and not checked:
            # Chosen runs stay in the list whatever the filter, so they stay chosen.
            haystack = " ".join([labels[run_id], *(f"{k}={v}" for k, v in (params or {}).items())])
            if not all(word in haystack.lower() for word in words):
                continue
        stats = (summary or {}).get(key) or {}
        best = summary_best(stats, direction)
        choices.append(
            RunChoice(
                run_id,
                labels[run_id],
                best,
                checked,
                frozenset(summary or {}),
                _points(summary, key) if stats else 0,
            )
        )

    def order(c: RunChoice):
        value = rank(c.best, direction) if c.best is not None else 0
        return (c.best is None, c.points <= 1, value)

    choices.sort(key=order)
    if chosen is None:
        with_value = [c for c in choices if c.best is not None]
        curves = [c for c in with_value if c.points > 1]
        default = curves[:DEFAULT_RUNS] if curves else with_value[:DEFAULT_SUMMARY_RUNS]
        for choice in default:
            choice.checked = True
    return choices


def project_metrics(*, project: Project) -> list[str]:
    """Every metric any run of the project has, by name."""
    return sorted(metric_points(project=project))


def metric_points(*, project: Project) -> dict[str, int]:
    """Every metric any run of the project has, with the most points any run has of it."""
    most: dict[str, int] = {}
    runs = Run.objects.current().filter(project=project)
    for summary in runs.values_list("summary", flat=True):
        for key in summary or {}:
            most[key] = max(most.get(key, 0), _points(summary, key))
    return most


def default_metric(project: Project, points: dict[str, int]) -> str:
    """The metric the Charts tab opens on: the success metric when some run has a curve of it
    (or when no metric has a curve), else the first metric with a curve."""
    revision = project.current_revision
    wanted = revision.success_metric if revision else ""
    curves = sorted(k for k, n in points.items() if n > 1)
    if wanted in points and (wanted in curves or not curves):
        return wanted
    return curves[0] if curves else min(points, default="")


@dataclass
class ChartsPage:
    """The Charts tab: one metric for the chosen runs, and the other metrics those runs have."""

    metrics: list[str]
    key: str
    options: ChartOptions
    choices: list[RunChoice] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # curves before one-value summaries
    errors: list[str] = field(default_factory=list)

    @property
    def run_ids(self) -> list[int]:
        return [c.id for c in self.choices if c.checked]


def charts_page(
    *,
    project: Project,
    key: str,
    options: ChartOptions,
    chosen: list[int] | None,
    q: str = "",
    errors: list[str] | None = None,
) -> ChartsPage:
    """The Charts tab for a metric (another when the project has none of it: the default one)
    and the chosen runs (None: the best ones); errors gathers what the reader should know."""
    points = metric_points(project=project)
    page = ChartsPage(metrics=sorted(points), key=key, options=options, errors=list(errors or []))
    if key and key not in points:
        page.errors.append(f"No run has a metric “{key}”; showing another.")
        page.key = ""
    if not page.key and points:
        page.key = default_metric(project, points)
    if not page.key:
        return page
    page.choices = run_choices(project=project, key=page.key, q=q, chosen=chosen)
    if chosen and not any(c.checked and c.best is not None for c in page.choices):
        # None of the chosen runs has this metric (it was just switched): the best runs of it.
        page.choices = run_choices(project=project, key=page.key, q=q)
    if chosen == []:
        page.errors.append("Choose at least one run to chart.")
    page.others = sorted(
        set().union(*(c.metrics for c in page.choices if c.checked)) - {page.key},
        key=lambda m: (points.get(m, 0) <= 1, m),
    )
    return page
