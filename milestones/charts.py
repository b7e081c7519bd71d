"""The plan's charts: what each one reads, and the plotly figure it draws.

Three charts sit under a quarter's goals and load on their own (chart_views), so the quarter page
keeps its query count: a burn-up of the quarter's milestones, the best value so far of each
project's success metric, and a calendar of the owner's activity over the last 52 weeks. Each
read is one or a few aggregate queries whatever the size of the plan; figures are plain dicts
that static/js/charts.js draws.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from dataclasses import dataclass, field

import plotly.graph_objects as go
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from projects.models import (
    Direction,
    ExperimentImport,
    ImportStatus,
    Project,
    ProjectRevision,
    Run,
)
from projects.people import ProfileFlags
from projects.selectors import metric_direction
from projects.targets import comparison_for, target_phrase

from .models import CheckIn, Milestone, MilestoneStatus
from .quarters import Quarter

INK = "#1d2733"
MUTED = "#5d6b7a"
LINE = "#dfe5ec"
ACCENT = "#3d5a80"
ACCENT_2 = "#ee6c4d"
OK = "#2a7d4f"

BURNUP_HEIGHT = 310
BEST_HEIGHT = 250
MAX_PROJECTS = 6
WEEKS_OF_ACTIVITY = 52


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _layout(**extra) -> dict:
    """What every plan chart shares: fixed height, small margins, legend under the plot."""
    return {
        "template": _template(),
        "margin": {"l": 44, "r": 12, "t": 12, "b": 36},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        "hovermode": "closest",
        **extra,
    }


@functools.cache
def _template() -> dict:
    """plotly's "plotly_white" template as plain JSON, resolved once per process."""
    return json.loads(go.Figure(layout={"template": "plotly_white"}).to_json())["layout"][
        "template"
    ]


def _trace(kind: str, **attributes) -> dict:
    return {"type": kind, **attributes}


def _as_dict(fig: dict) -> dict:
    # Figures are plain dicts rather than go.Figure: validating every attribute cost about
    # 100 ms a figure, far more than reading the data. Dates become ISO strings here.
    return json.loads(json.dumps(fig, cls=DjangoJSONEncoder))


# --- Burn-up ---------------------------------------------------------------------------------


def quarter_weeks(quarter: Quarter) -> list[datetime.date]:
    """The last day of each of the quarter's 13 weeks; the last week ends with the quarter.

    Quarters have 90 to 92 days, so the 13th week takes the one or two days left over (or gives
    one back) rather than making a 14th week of one day.
    """
    ends = [quarter.start + datetime.timedelta(days=7 * i - 1) for i in range(1, 13)]
    return [*ends, quarter.end]


@dataclass
class Burnup:
    quarter: Quarter
    weeks: list[datetime.date]  # the last day of each week
    start: tuple[int, int]  # (due, done) before the quarter began
    due: list[int]  # milestones due by the end of each week; undated ones are due at the end
    done: list[int | None]  # milestones done by the end of each week; None for weeks to come
    scope: int  # every milestone of the quarter's goals but the dropped ones
    done_total: int
    done_late: int  # done after the quarter ended, so on no week of it
    today: datetime.date | None  # set when the quarter is the current one

    @property
    def rows(self) -> list[tuple[int, datetime.date, int, int | None]]:
        """(week number, last day, due, done) for the table under the chart."""
        return [
            (n, end, due, done)
            for n, (end, due, done) in enumerate(
                zip(self.weeks, self.due, self.done, strict=True), start=1
            )
        ]


def burnup_for(*, owner: AbstractBaseUser, quarter: Quarter) -> Burnup:
    """Due and done milestones of the owner's goals of a quarter, counted week by week."""
    rows = list(
        Milestone.objects.owned_by(owner)
        .filter(goal__year=quarter.year, goal__quarter=quarter.quarter)
        .exclude(status=MilestoneStatus.DROPPED)
        .values_list("due_date", "status", "done_at")
    )
    today = timezone.localdate()
    weeks = quarter_weeks(quarter)
    due_dates = [min(due or quarter.end, quarter.end) for due, _, _ in rows]
    done_dates = [
        _local_date(done_at)
        for _, status, done_at in rows
        if status == MilestoneStatus.DONE and done_at is not None
    ]
    before = quarter.start - datetime.timedelta(days=1)
    return Burnup(
        quarter=quarter,
        weeks=weeks,
        start=(sum(d <= before for d in due_dates), sum(d <= before for d in done_dates)),
        due=[sum(d <= end for d in due_dates) for end in weeks],
        done=[
            sum(d <= end for d in done_dates) if week_start(weeks, i) <= today else None
            for i, end in enumerate(weeks)
        ],
        scope=len(rows),
        done_total=len(done_dates),
        done_late=sum(d > quarter.end for d in done_dates),
        today=today if quarter.contains(today) else None,
    )


def week_start(weeks: list[datetime.date], index: int) -> datetime.date:
    return (
        weeks[index - 1] + datetime.timedelta(days=1)
        if index
        else weeks[0] - datetime.timedelta(days=6)
    )


def burnup_figure(burnup: Burnup) -> dict:
    """Scope, due and done milestones over the weeks of the quarter, with a 'today' mark."""
    q = burnup.quarter
    x = [q.start, *burnup.weeks]
    labels = ["start"] + [f"week {n}" for n in range(1, len(burnup.weeks) + 1)]
    due = [burnup.start[0], *burnup.due]
    # A quarter still to come has nothing done in it yet, not even at its start.
    started = burnup.done[0] is not None
    done = [burnup.start[1] if started else None, *burnup.done]
    done_x = list(x)
    if burnup.today is not None:
        # The current week's point sits on today, so the done line stops where time does.
        for i, value in enumerate(done):
            if value is not None and i and x[i] > burnup.today:
                done_x[i] = burnup.today
    fig: dict = {"data": [], "layout": {}}
    fig["data"].append(
        _trace(
            "scatter",
            x=[q.start, q.end],
            y=[burnup.scope, burnup.scope],
            mode="lines",
            name=f"Scope ({burnup.scope})",
            line={"color": MUTED, "dash": "dash", "width": 1.5},
            hovertemplate="scope: %{y}<extra></extra>",
        )
    )
    fig["data"].append(
        _trace(
            "scatter",
            x=x,
            y=due,
            customdata=labels,
            mode="lines",
            name="Due",
            line={"color": ACCENT, "width": 2, "shape": "hv"},
            hovertemplate="%{customdata}, to %{x|%b %d}: %{y} due<extra></extra>",
        )
    )
    shown = [
        (xx, yy, label)
        for xx, yy, label in zip(done_x, done, labels, strict=True)
        if yy is not None
    ]
    if shown:
        fig["data"].append(
            _trace(
                "scatter",
                x=[s[0] for s in shown],
                y=[s[1] for s in shown],
                customdata=[s[2] for s in shown],
                mode="lines+markers",
                name="Done",
                line={"color": ACCENT_2, "width": 2.5},
                marker={"size": 6},
                hovertemplate="%{customdata}, to %{x|%b %d}: %{y} done<extra></extra>",
            )
        )
    shapes, annotations = [], []
    if burnup.today is not None:
        shapes.append(
            {
                "type": "line",
                "x0": burnup.today,
                "x1": burnup.today,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": INK, "width": 1, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "x": burnup.today,
                "y": 1,
                "yref": "paper",
                "text": "today",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 11, "color": INK},
            }
        )
    fig["layout"] = _layout(
        height=BURNUP_HEIGHT,
        margin={"l": 36, "r": 12, "t": 30, "b": 36},
        xaxis={"range": [q.start, q.end], "tickformat": "%b %d", "fixedrange": True},
        yaxis={
            "rangemode": "tozero",
            "title": {"text": "milestones"},
            "dtick": max(1, math.ceil(max(burnup.scope, 1) / 6)),
            "fixedrange": True,
        },
        shapes=shapes,
        annotations=annotations,
    )
    return _as_dict(fig)


# --- Best so far ------------------------------------------------------------------------------


@dataclass
class BestSoFar:
    project: Project
    metric: str
    direction: str  # "higher" or "lower"
    target: float | None
    dates: list[datetime.datetime] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)

    @property
    def current(self) -> float | None:
        return self.best[-1] if self.best else None

    @property
    def target_label(self) -> str:
        """ "target ≥ 0.9", written like every target; "" without one."""
        if self.target is None:
            return ""
        return f"target {target_phrase(comparison_for(self.direction), self.target)}"

    @property
    def target_met(self) -> bool | None:
        if self.target is None or self.current is None:
            return None
        if self.direction == Direction.LOWER:
            return self.current <= self.target
        return self.current >= self.target


def success_direction(revision: ProjectRevision) -> str:
    """The record's direction when it states one, else the metric's usual one."""
    return revision.success_direction or metric_direction(revision.success_metric)


def _metric_value(summary: dict, metric: str, direction: str) -> float | None:
    entry = summary.get(metric)
    if entry is None:
        lowered = metric.lower()
        entry = next((v for k, v in summary.items() if k.lower() == lowered), None)
    if not isinstance(entry, dict):
        return None
    value = entry.get("min" if direction == Direction.LOWER else "max")
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def best_so_far_for(*, owner: AbstractBaseUser) -> tuple[list[BestSoFar], int]:
    """Each of the owner's projects with a success metric: its best value after each import.

    One point per succeeded import that brought runs, dated when the import finished, with the
    best value among all runs up to and including it, by the metric's direction. Returns the
    projects (at most MAX_PROJECTS, most recently updated first) and how many were left out.
    Two queries.
    """
    projects = list(
        Project.objects.owned_by(owner)
        .exclude(current_revision__success_metric="")
        .filter(current_revision__isnull=False)
        .select_related("current_revision")
        .only(
            "title",
            "slug",
            "updated_at",
            "current_revision__success_metric",
            "current_revision__success_target",
            "current_revision__success_direction",
        )
    )
    left_out = max(0, len(projects) - MAX_PROJECTS)
    projects = projects[:MAX_PROJECTS]
    results = {
        p.pk: BestSoFar(
            project=p,
            metric=p.current_revision.success_metric,
            direction=success_direction(p.current_revision),
            target=p.current_revision.success_target,
        )
        for p in projects
    }
    rows = (
        Run.objects.filter(
            project__in=results.keys(), experiment_import__status=ImportStatus.SUCCEEDED
        )
        .order_by()
        .values_list(
            "project_id",
            "experiment_import_id",
            "experiment_import__original_name",
            "experiment_import__finished_at",
            "experiment_import__created_at",
            "summary",
        )
    )
    by_import: dict[tuple[int, int], list] = {}
    for project_id, import_id, name, finished_at, created_at, summary in rows:
        entry = by_import.setdefault(
            (project_id, import_id), [finished_at or created_at, import_id, name, []]
        )
        value = _metric_value(
            summary or {}, results[project_id].metric, results[project_id].direction
        )
        if value is not None:
            entry[3].append(value)
    for (project_id, _), (when, _, name, values) in sorted(
        by_import.items(), key=lambda item: (item[1][0], item[1][1])
    ):
        result = results[project_id]
        best = result.current
        pick = min if result.direction == Direction.LOWER else max
        candidates = values + ([best] if best is not None else [])
        if not candidates:
            continue
        result.dates.append(when)
        result.best.append(pick(candidates))
        result.imports.append(name)
    return list(results.values()), left_out


def best_so_far_figure(series: BestSoFar) -> dict:
    """The best value so far as a rising (or falling) step line, the target dashed."""
    x = [timezone.localtime(d).replace(tzinfo=None) for d in series.dates]
    fig: dict = {"data": [], "layout": {}}
    fig["data"].append(
        _trace(
            "scatter",
            x=x,
            y=series.best,
            customdata=series.imports,
            mode="lines+markers",
            name=f"best {series.metric}",
            line={"color": ACCENT, "width": 2, "shape": "hv"},
            marker={"size": 7},
            hovertemplate="%{x|%b %d, %Y}<br>best so far %{y:.4g}<br>%{customdata}<extra></extra>",
        )
    )
    annotations = []
    if series.target is not None:
        # A labelled line rather than a legend: the chart stays one line short on a phone.
        fig["data"].append(
            _trace(
                "scatter",
                x=[x[0], x[-1]],
                y=[series.target, series.target],
                mode="lines",
                name=series.target_label,
                line={"color": OK, "dash": "dash", "width": 1.5},
                hovertemplate=f"{series.target_label}<extra></extra>",
            )
        )
        annotations.append(
            {
                "x": 0,
                "xref": "paper",
                "xanchor": "left",
                "y": series.target,
                "yanchor": "bottom",
                "text": series.target_label,
                "showarrow": False,
                "font": {"size": 11, "color": OK},
            }
        )
    arrow = "↓" if series.direction == Direction.LOWER else "↑"
    day = 24 * 3600 * 1000
    fig["layout"] = _layout(
        height=BEST_HEIGHT,
        margin={"l": 52, "r": 12, "t": 30, "b": 40},
        showlegend=False,
        annotations=annotations,
        xaxis={
            "fixedrange": True,
            "nticks": 5,
            "tickangle": 0,
            "tickformatstops": [
                {"dtickrange": [None, day], "value": "%H:%M<br>%b %d"},
                {"dtickrange": [day, 28 * day], "value": "%b %d"},
                {"dtickrange": [28 * day, None], "value": "%b %Y"},
            ],
        },
        yaxis={"title": {"text": f"{series.metric} {arrow}"}, "fixedrange": True},
    )
    return _as_dict(fig)


# --- Activity ----------------------------------------------------------------------------------

KINDS = ("checkins", "revisions", "imports")
KIND_LABELS = {"checkins": "check-in", "revisions": "revision", "imports": "import"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Activity:
    first: datetime.date  # the Monday the calendar starts on
    today: datetime.date
    days: dict[datetime.date, dict[str, int]]  # only days with something, by kind
    public: bool

    @property
    def weeks(self) -> int:
        return (self.today - self.first).days // 7 + 1

    @property
    def totals(self) -> dict[str, int]:
        return {kind: sum(day.get(kind, 0) for day in self.days.values()) for kind in KINDS}

    @property
    def active_days(self) -> int:
        return len(self.days)


def _per_day(queryset, since: datetime.datetime) -> dict[datetime.date, int]:
    day = TruncDate("created_at", tzinfo=timezone.get_current_timezone())
    rows = (
        queryset.filter(created_at__gte=since)
        .order_by()
        .annotate(day=day)
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return dict(rows)


def activity_for(
    user: AbstractBaseUser, *, public: bool, flags: ProfileFlags | None = None
) -> Activity | None:
    """Days with check-ins, revisions or imports in the last 52 weeks, counted by kind.

    With public=True (for pages others read) it is None unless the profile's flags, passed in
    by the caller (projects.people), say the profile is public and shows its activity, and it
    counts only what is public: check-ins on public goals, revisions and imports of public
    projects. Three aggregate queries.
    """
    if public and not (flags is not None and flags.activity_is_public):
        return None
    today = timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday(), weeks=WEEKS_OF_ACTIVITY)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    checkins = CheckIn.objects.filter(milestone__goal__owner=user)
    revisions = ProjectRevision.objects.filter(project__owner=user)
    imports = ExperimentImport.objects.filter(project__owner=user)
    if public:
        checkins = checkins.public()
        shown = Project.objects.public()
        revisions = revisions.filter(project__in=shown)
        imports = imports.filter(project__in=shown)
    days: dict[datetime.date, dict[str, int]] = {}
    for kind, queryset in zip(KINDS, (checkins, revisions, imports), strict=True):
        for day, n in _per_day(queryset, since).items():
            if first <= day <= today:
                days.setdefault(day, {})[kind] = n
    return Activity(first=first, today=today, days=days, public=public)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# The calendar is an SVG drawn on the server (no plotly: the public profile loads no chart
# library). A square a day, a column a week, Monday on top.
CELL = 11
GAP = 2
CALENDAR_LEFT = 30  # room for the weekday labels
CALENDAR_TOP = 16  # room for the month labels
LEVELS = 4  # shades of a day with something, besides the pale one of an empty day


@dataclass
class CalendarDay:
    date: datetime.date
    x: int
    y: int
    level: int  # 0 for nothing, 1..LEVELS busier
    label: str  # "Tue Nov 24, 2026: 1 check-in · 0 revisions · 0 imports", or ": no activity"


@dataclass
class Calendar:
    width: int
    height: int
    days: list[CalendarDay]
    months: list[tuple[int, str]]  # (x, "Nov") at the first week of each month
    weekdays: list[tuple[int, str]]  # (y, "Mon") for Mon, Wed, Fri
    legend: list[int]  # the levels, lightest first, for "less ... more"
    cell: int = CELL


def _level(count: int, busiest: int) -> int:
    if count <= 0:
        return 0
    return min(LEVELS, max(1, math.ceil(LEVELS * count / max(busiest, LEVELS))))


def activity_calendar(activity: Activity) -> Calendar:
    """A GitHub-style calendar: a column a week, a row a weekday, darker for busier days."""
    step = CELL + GAP
    # The darkest shade goes to the busiest tenth of active days, so one very busy day does not
    # leave every other one pale.
    totals = sorted(sum(c.values()) for c in activity.days.values())
    busiest = totals[int(0.9 * (len(totals) - 1))] if totals else 0
    days, months = [], []
    for week in range(activity.weeks):
        monday = activity.first + datetime.timedelta(weeks=week)
        x = CALENDAR_LEFT + week * step
        if week == 0 or monday.month != (monday - datetime.timedelta(weeks=1)).month:
            months.append((x, f"{monday:%b}"))
        for weekday in range(7):
            day = monday + datetime.timedelta(days=weekday)
            if day > activity.today:
                break
            counts = activity.days.get(day, {})
            detail = (
                " · ".join(_plural(counts.get(k, 0), KIND_LABELS[k]) for k in KINDS)
                if counts
                else "no activity"
            )
            days.append(
                CalendarDay(
                    date=day,
                    x=x,
                    y=CALENDAR_TOP + weekday * step,
                    level=_level(sum(counts.values()), busiest),
                    label=f"{day:%a %b} {day.day}, {day.year}: {detail}",
                )
            )
    # A month label squeezed against the calendar's left edge would overlap the next one.
    if len(months) > 1 and months[1][0] - months[0][0] < 3 * step:
        months.pop(0)
    return Calendar(
        width=CALENDAR_LEFT + activity.weeks * step,
        height=CALENDAR_TOP + 7 * step,
        days=days,
        months=months,
        weekdays=[(CALENDAR_TOP + d * step + CELL, WEEKDAYS[d]) for d in (0, 2, 4)],
        legend=list(range(LEVELS + 1)),
    )
