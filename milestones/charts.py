"""The plan's charts of the plan itself: what each one reads, and the plotly figure it draws.

Three charts sit under a quarter's goals and load on their own (chart_views), so the quarter page
keeps its query count: a burn-up of the quarter's milestones (here), the best value so far of each
project's success metric (best_so_far.py), and a calendar of the owner's activity over the last
52 weeks (here, an SVG drawn on the server). Each read is one or a few aggregate queries whatever
the size of the plan; figures are plain dicts in Cairn's look (projects/chart_theme.py) that
static/js/charts.js draws.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from projects.chart_theme import ACCENT, ACCENT_2, INK, MUTED, json_ready, layout, trace
from projects.models import ExperimentImport, Project, ProjectRevision
from projects.people import ProfileFlags
from projects.wording import plural

from .models import CheckIn, Milestone, MilestoneStatus
from .quarters import Quarter

BURNUP_HEIGHT = 310
WEEKS_OF_ACTIVITY = 52


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def plan_layout(**extra) -> dict:
    """What every plan chart shares: Cairn's look, small margins, legend under the plot."""
    return layout(
        **{
            "margin": {"l": 44, "r": 12, "t": 12, "b": 36},
            "legend": {"y": -0.18, "yanchor": "top"},
            **extra,
        }
    )


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
        trace(
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
        trace(
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
            trace(
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
    fig["layout"] = plan_layout(
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
    return json_ready(fig)


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
                " · ".join(plural(counts.get(k, 0), KIND_LABELS[k]) for k in KINDS)
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
