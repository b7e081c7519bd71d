"""The plan's charts: burn-up, best so far and the activity calendar, and their endpoints."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from milestones import best_so_far, charts
from milestones.models import CheckIn
from milestones.quarters import Quarter
from projects import people
from projects.metrics import metric_direction
from projects.models import ExperimentImport, ImportStatus
from tests.factories import (
    CheckInFactory,
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    import_results,
    mlflow_runs_csv,
    save_revision,
)

Q4 = Quarter(2026, 4)
BURNUP_URL = reverse("milestones:chart-burnup", args=[2026, 4])
BEST_URL = reverse("milestones:chart-best")
ACTIVITY_URL = reverse("milestones:chart-activity")
QUARTER_URL = reverse("milestones:quarter", args=[2026, 4])


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _done(goal, *, due: datetime.date | None, done: datetime.date, **kwargs):
    return MilestoneFactory(goal=goal, due_date=due, status="done", done_at=_at(done), **kwargs)


def _figure(response, figure_id: str) -> dict:
    match = re.search(
        rf'<script id="{figure_id}" type="application/json">(.*?)</script>', response.text, re.S
    )
    assert match, f"no {figure_id} in the response"
    return json.loads(match.group(1))


@pytest.fixture
def q4_plan(alice):
    """Alice's Q4 2026: 6 milestones (one dropped, one undated), 3 done on known days."""
    goal = GoalFactory(owner=alice, year=2026, quarter=4)
    other = GoalFactory(owner=alice, year=2026, quarter=4)
    _done(goal, due=datetime.date(2026, 10, 10), done=datetime.date(2026, 10, 6))  # week 1
    _done(goal, due=datetime.date(2026, 10, 20), done=datetime.date(2026, 10, 22))  # week 4
    _done(other, due=datetime.date(2026, 11, 20), done=datetime.date(2026, 11, 27))  # week 9
    MilestoneFactory(goal=other, due_date=datetime.date(2026, 12, 15), status="in_progress")
    MilestoneFactory(goal=other, due_date=None)  # undated: due with the quarter
    MilestoneFactory(goal=other, due_date=datetime.date(2026, 10, 2), status="dropped")
    # Another quarter and another engineer: never counted.
    MilestoneFactory(goal=GoalFactory(owner=alice, year=2026, quarter=3))
    bob_goal = GoalFactory(owner=UserFactory(username="dave"), year=2026, quarter=4)
    _done(bob_goal, due=datetime.date(2026, 10, 3), done=datetime.date(2026, 10, 3))
    return goal


# --- Burn-up ------------------------------------------------------------------------------------


def test_a_quarter_has_thirteen_weeks_ending_with_the_quarter():
    weeks = charts.quarter_weeks(Q4)

    assert len(weeks) == 13
    assert weeks[0] == datetime.date(2026, 10, 7)
    assert weeks[8] == datetime.date(2026, 12, 2)
    assert weeks[-1] == datetime.date(2026, 12, 31)
    assert len(charts.quarter_weeks(Quarter(2027, 1))) == 13  # 90 days


def test_burnup_counts_due_and_done_milestones_week_by_week(alice, q4_plan):
    burnup = charts.burnup_for(owner=alice, quarter=Q4)

    assert burnup.scope == 5  # the dropped milestone is out of scope
    assert burnup.done_total == 3
    #                    W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13
    assert burnup.due == [0, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5]
    # Today is Nov 28 (week 9): the weeks to come have no done count yet.
    assert burnup.done == [1, 1, 1, 2, 2, 2, 2, 2, 3, None, None, None, None]
    assert burnup.today == datetime.date(2026, 11, 28)


def test_a_past_quarter_has_every_week_and_no_today_mark(alice):
    goal = GoalFactory(owner=alice, year=2026, quarter=2)
    _done(goal, due=datetime.date(2026, 4, 30), done=datetime.date(2026, 3, 30))  # early
    _done(goal, due=datetime.date(2026, 6, 1), done=datetime.date(2026, 7, 15))  # late

    burnup = charts.burnup_for(owner=alice, quarter=Quarter(2026, 2))

    assert burnup.today is None
    assert burnup.start == (0, 1)
    assert burnup.done == [1] * 13
    assert burnup.done_late == 1
    figure = charts.burnup_figure(burnup)
    assert "shapes" not in figure["layout"] or not figure["layout"]["shapes"]


def test_a_quarter_to_come_has_scope_and_due_but_no_done_line(alice):
    goal = GoalFactory(owner=alice, year=2027, quarter=1)
    MilestoneFactory(goal=goal, due_date=datetime.date(2027, 2, 1))

    burnup = charts.burnup_for(owner=alice, quarter=Quarter(2027, 1))
    figure = charts.burnup_figure(burnup)

    assert burnup.done == [None] * 13
    assert [trace["name"] for trace in figure["data"]] == ["Scope (1)", "Due"]


def test_burnup_figure_draws_scope_due_done_and_today(alice, q4_plan):
    figure = charts.burnup_figure(charts.burnup_for(owner=alice, quarter=Q4))

    scope, due, done = figure["data"]
    assert scope["y"] == [5, 5]
    assert due["y"] == [0, 0, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5]
    assert done["y"] == [0, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert done["x"][-1] == "2026-11-28"  # the done line stops at today
    assert [s["x0"] for s in figure["layout"]["shapes"]] == ["2026-11-28"]
    assert figure["layout"]["annotations"][0]["text"] == "today"
    assert figure["layout"]["legend"]["orientation"] == "h"
    assert figure["layout"]["height"] == charts.BURNUP_HEIGHT


def test_the_burnup_fragment_shows_the_owners_numbers(alice_client, q4_plan, htmx_headers):
    response = alice_client.get(BURNUP_URL, headers=htmx_headers)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="plan-burnup"' in response.text
    assert "3 of 5 milestones done" in response.text
    assert len(re.findall(r'data-testid="burnup-week"', response.text)) == 13
    assert _figure(response, "figure-burnup-chart")["data"][0]["y"] == [5, 5]
    assert response["Vary"].count("HX-Request") == 1


def test_the_burnup_without_htmx_is_a_page(alice_client, q4_plan):
    response = alice_client.get(BURNUP_URL)

    assert response.status_code == 200
    assert "<html" in response.text
    assert "vendor/plotly-cartesian.min.js" in response.text
    assert "3 of 5 milestones done" in response.text


def test_an_empty_quarter_says_how_the_burnup_appears(alice_client, htmx_headers):
    response = alice_client.get(
        reverse("milestones:chart-burnup", args=[2027, 1]), headers=htmx_headers
    )

    assert response.status_code == 200
    assert "No milestones in Q1 2027 yet" in response.text
    assert "figure-burnup-chart" not in response.text


@pytest.mark.parametrize(("year", "quarter"), [(2026, 5), (2026, 0), (1999, 1), (2101, 4)])
def test_a_bad_quarter_is_a_400_with_a_message(alice_client, year, quarter):
    response = alice_client.get(reverse("milestones:chart-burnup", args=[year, quarter]))

    assert response.status_code == 400
    assert "No such quarter" in response.text


def test_the_burnup_never_counts_another_engineers_milestones(bob, bob_client, q4_plan):
    response = bob_client.get(BURNUP_URL, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "No milestones in Q4 2026 yet" in response.text
    assert charts.burnup_for(owner=bob, quarter=Q4).scope == 0


# --- Best so far --------------------------------------------------------------------------------


def _metric_project(owner, *, metric="accuracy", direction="higher", target=None, **kwargs):
    project = create_project(owner=owner, **kwargs)
    save_revision(
        project, success_metric=metric, success_direction=direction, success_target=target
    )
    project.refresh_from_db()
    return project


def _import(project, name: str, values: list[float], *, metric="accuracy", finished=None):
    runs = [{"name": f"{name}-{i}", "metrics": {metric: v}} for i, v in enumerate(values)]
    imp = import_results(project, (f"{name}.csv", mlflow_runs_csv(runs)))
    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    if finished:
        ExperimentImport.objects.filter(pk=imp.pk).update(finished_at=_at(finished))
    return imp


def test_best_so_far_rises_with_each_import_for_a_higher_is_better_metric(alice):
    project = _metric_project(alice, metric="accuracy", target=0.9)
    _import(project, "first", [0.71, 0.75], finished=datetime.date(2026, 10, 1))
    _import(project, "worse", [0.70], finished=datetime.date(2026, 10, 8))
    _import(project, "better", [0.74, 0.88], finished=datetime.date(2026, 11, 2))

    (series,), left_out = best_so_far.best_so_far_for(owner=alice)

    assert left_out == 0
    assert series.best == [0.75, 0.75, 0.88]  # one point per import, never worse
    assert [d.date() for d in series.dates] == [
        datetime.date(2026, 10, 1),
        datetime.date(2026, 10, 8),
        datetime.date(2026, 11, 2),
    ]
    assert series.imports == ["first.csv", "worse.csv", "better.csv"]
    assert series.target_met is False


def test_best_so_far_falls_for_a_lower_is_better_metric_and_meets_its_target(alice):
    project = _metric_project(alice, metric="val_loss", direction="lower", target=0.3)
    _import(project, "a", [0.9, 0.6], metric="val_loss", finished=datetime.date(2026, 10, 1))
    _import(project, "b", [0.7], metric="val_loss", finished=datetime.date(2026, 10, 5))
    _import(project, "c", [0.25, 0.4], metric="val_loss", finished=datetime.date(2026, 10, 9))

    (series,), _ = best_so_far.best_so_far_for(owner=alice)

    assert series.direction == "lower"
    assert series.best == [0.6, 0.6, 0.25]
    assert all(a >= b for a, b in zip(series.best, series.best[1:], strict=False))
    assert series.target_met is True


def test_a_record_without_a_direction_takes_the_metrics_usual_one(alice):
    project = _metric_project(alice, metric="rmse")
    revision = project.current_revision
    revision.success_direction = ""  # as a record that never stated one

    assert metric_direction(revision.success_metric, project, revision=revision) == "lower"


def test_best_so_far_figure_has_the_target_dashed(alice):
    project = _metric_project(alice, metric="accuracy", target=0.9)
    _import(project, "first", [0.8], finished=datetime.date(2026, 10, 1))
    _import(project, "second", [0.85], finished=datetime.date(2026, 10, 20))
    (series,), _ = best_so_far.best_so_far_for(owner=alice)

    figure = best_so_far.best_so_far_figure(series)

    best, target = figure["data"]
    assert best["y"] == [0.8, 0.85]
    assert best["line"]["shape"] == "hv"
    assert target["y"] == [0.9, 0.9]
    assert target["line"]["dash"] == "dash"


def test_the_best_fragment_shows_each_project_with_its_metric(alice_client, alice, htmx_headers):
    project = _metric_project(alice, title="Ticket router", metric="accuracy", target=0.9)
    _import(project, "first", [0.93])
    create_project(owner=alice, title="No metric here")
    _metric_project(alice, title="Fresh idea", metric="f1")

    response = alice_client.get(BEST_URL, headers=htmx_headers)

    assert response.status_code == 200
    assert response.text.count('data-testid="best-project"') == 1
    assert "Ticket router" in response.text
    assert "target met" in response.text
    assert "Waiting for runs with their metric" in response.text and "Fresh idea" in response.text
    assert "No metric here" not in response.text
    assert _figure(response, f"figure-best-{project.pk}")["data"][0]["y"] == [0.93]


def test_the_best_fragment_has_an_empty_state(alice_client, alice, htmx_headers):
    create_project(owner=alice, title="No metric here")

    response = alice_client.get(BEST_URL, headers=htmx_headers)

    assert response.status_code == 200
    assert "No project has a success metric with imported runs yet" in response.text
    assert "figure-best-" not in response.text


def test_failed_and_queued_imports_add_no_point(alice):
    project = _metric_project(alice, metric="accuracy")
    _import(project, "first", [0.8])
    import_results(
        project,
        ("later.csv", mlflow_runs_csv([{"name": "x", "metrics": {"accuracy": 0.99}}])),
        process=False,
    )

    (series,), _ = best_so_far.best_so_far_for(owner=alice)

    assert series.best == [0.8]


def test_another_engineers_projects_never_reach_the_best_chart(alice, bob_client, htmx_headers):
    project = _metric_project(alice, title="Alice's secret model", metric="accuracy")
    _import(project, "first", [0.97])

    response = bob_client.get(BEST_URL, headers=htmx_headers)

    assert response.status_code == 200
    assert "Alice's secret model" not in response.text
    assert "0.97" not in response.text
    assert "No project has a success metric with imported runs yet" in response.text


# --- Activity -----------------------------------------------------------------------------------


def _checkin_on(milestone, day: datetime.date, hour: int = 12):
    return CheckInFactory(milestone=milestone, created_at=_at(day, hour))


def test_activity_counts_each_day_by_kind(alice, milestone, monkeypatch):
    day = datetime.date(2026, 11, 24)
    _checkin_on(milestone, day, 9)
    _checkin_on(milestone, day, 18)
    _checkin_on(milestone, datetime.date(2026, 3, 2))
    _checkin_on(milestone, datetime.date(2025, 11, 1))  # more than 52 weeks ago
    monkeypatch.setattr(timezone, "now", lambda: _at(day, 10))
    project = create_project(owner=alice)  # revision 1 and an import on Nov 24
    save_revision(project, summary="Now with more data.")  # revision 2
    import_results(project, ("a.csv", mlflow_runs_csv([{"name": "r", "metrics": {"f1": 1}}])))

    activity = charts.activity_for(alice, public=False)

    assert activity.first == datetime.date(2025, 11, 24)  # a Monday, 52 weeks before this one
    assert activity.weeks == 53
    assert activity.days[day] == {"checkins": 2, "revisions": 2, "imports": 1}
    assert activity.days[datetime.date(2026, 3, 2)] == {"checkins": 1}
    assert datetime.date(2025, 11, 1) not in activity.days
    assert activity.active_days == 2
    assert activity.totals == {"checkins": 3, "revisions": 2, "imports": 1}


def test_the_activity_calendar_has_a_square_a_day_in_columns_of_weeks(alice, milestone):
    _checkin_on(milestone, datetime.date(2026, 11, 24))  # a Tuesday
    activity = charts.activity_for(alice, public=False)

    calendar = charts.activity_calendar(activity)

    by_date = {day.date: day for day in calendar.days}
    # 52 full weeks and this one up to today (Saturday Nov 28): nothing drawn for the future.
    assert len(calendar.days) == 52 * 7 + 6
    assert max(by_date) == datetime.date(2026, 11, 28)
    tuesday, monday = by_date[datetime.date(2026, 11, 24)], by_date[datetime.date(2026, 11, 23)]
    assert tuesday.x == monday.x and tuesday.y > monday.y  # same week, the next row down
    assert tuesday.level > 0 and monday.level == 0
    assert tuesday.label == "Tue Nov 24, 2026: 1 check-in · 0 revisions · 0 imports"
    assert monday.label == "Mon Nov 23, 2026: no activity"
    assert [w for _, w in calendar.weekdays] == ["Mon", "Wed", "Fri"]
    assert [m for _, m in calendar.months][-2:] == ["Oct", "Nov"]


def test_the_busiest_days_get_the_darkest_shade(alice, milestone):
    for n, day in enumerate(range(2, 22)):
        for _ in range(1 + n // 4):
            _checkin_on(milestone, datetime.date(2026, 11, day))
    _checkin_on(milestone, datetime.date(2026, 11, 23))  # one check-in on a quiet day

    calendar = charts.activity_calendar(charts.activity_for(alice, public=False))

    levels = {day.date.day: day.level for day in calendar.days if day.date.month == 11}
    assert levels[21] == charts.LEVELS
    assert levels[23] == 1
    assert levels[22] == 0
    assert sorted(set(levels.values())) == list(range(charts.LEVELS + 1))


def test_the_public_calendar_respects_the_hide_flag(alice, milestone):
    milestone.goal.visibility = "public"
    milestone.goal.save()
    _checkin_on(milestone, datetime.date(2026, 11, 24))
    profile = alice.profile
    profile.is_public = True
    profile.save()

    assert (
        charts.activity_for(alice, public=True, flags=people.profile_flags(alice)).active_days == 1
    )

    profile.show_activity = False
    profile.save()
    alice.refresh_from_db()

    assert charts.activity_for(alice, public=True, flags=people.profile_flags(alice)) is None
    assert charts.activity_for(alice, public=False).active_days == 1  # the owner still sees it


def test_the_public_calendar_is_none_for_a_private_profile(alice, milestone):
    assert alice.profile.is_public is False
    assert charts.activity_for(alice, public=True, flags=people.profile_flags(alice)) is None


def test_the_public_calendar_counts_only_public_goals_and_projects(alice, milestone, monkeypatch):
    profile = alice.profile
    profile.is_public = True
    profile.save()
    _checkin_on(milestone, datetime.date(2026, 11, 24))  # private goal
    # Revisions are stamped with the clock: keep them inside the pinned calendar.
    noon = timezone.make_aware(datetime.datetime(2026, 11, 24, 12))
    monkeypatch.setattr(timezone, "now", lambda: noon)
    create_project(owner=alice)  # private project
    public = create_project(owner=alice, visibility="public")

    activity = charts.activity_for(alice, public=True, flags=people.profile_flags(alice))

    assert activity.totals == {"checkins": 0, "revisions": 1, "imports": 0}
    assert public.revisions.count() == 1


def test_the_activity_fragment_shows_the_owners_calendar(alice_client, milestone, htmx_headers):
    _checkin_on(milestone, datetime.date(2026, 11, 24))

    response = alice_client.get(ACTIVITY_URL, headers=htmx_headers)

    assert response.status_code == 200
    assert "1 active day in the last 52 weeks" in response.text
    assert "Only you see this calendar." in response.text
    assert (
        '<rect class="cal-1" x="706" y="29" width="11" height="11">'
        "<title>Tue Nov 24, 2026: 1 check-in · 0 revisions · 0 imports</title>" in response.text
    )
    assert "figure-" not in response.text and "plotly" not in response.text


def test_another_engineers_activity_never_reaches_the_calendar(bob_client, milestone):
    _checkin_on(milestone, datetime.date(2026, 11, 24))

    response = bob_client.get(ACTIVITY_URL, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "0 active days" in response.text
    assert "1 check-in" not in response.text
    assert set(re.findall(r'<rect class="cal-(\d)" x=', response.text)) == {"0"}


def test_the_profile_settings_store_the_hide_flag(alice, alice_client):
    page = alice_client.get(reverse("profile"))
    assert 'name="show_activity"' in page.text
    assert re.search(r'<input type="checkbox" name="show_activity"[^>]* checked', page.text)

    alice_client.post(
        reverse("profile"),
        {"slug": "alice", "display_name": "Alice", "headline": "", "bio": "", "links": ""},
    )

    alice.profile.refresh_from_db()
    assert alice.profile.show_activity is False


# --- Access and queries -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [BURNUP_URL, BEST_URL, ACTIVITY_URL])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", [BURNUP_URL, BEST_URL, ACTIVITY_URL])
def test_the_chart_endpoints_only_answer_get(alice_client, url):
    assert alice_client.post(url).status_code == 405


def test_the_quarter_page_loads_the_charts_lazily(alice_client, goal):
    response = alice_client.get(QUARTER_URL)

    for url in (BURNUP_URL, BEST_URL, ACTIVITY_URL):
        assert re.search(rf'hx-get="{url}" hx-trigger="revealed[,"]', response.text)
        assert f'href="{url}"' in response.text  # reachable without JavaScript too
    assert "vendor/plotly-cartesian.min.js" in response.text
    assert "figure-" not in response.text  # no chart data in the page itself


def test_the_quarter_page_still_takes_five_queries(alice, alice_client, q4_plan):
    alice_client.get(QUARTER_URL)  # warm up the session

    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(QUARTER_URL)

    assert response.status_code == 200
    # Five for the plan, and the navigation's one (whether alice mentors anyone, which puts
    # Mentoring first: portfolio.context_processors.mentoring_first).
    assert len(queries) == 5 + 1


def _grow(alice, n: int):
    goal = GoalFactory(owner=alice, year=2026, quarter=4)
    for i in range(n):
        m = _done(goal, due=datetime.date(2026, 10, 1 + i), done=datetime.date(2026, 10, 2 + i))
        CheckIn.objects.create(milestone=m, author=alice, progress=100, created_at=_at(m.due_date))
        project = _metric_project(alice, metric="accuracy", target=0.9)
        _import(project, f"p{i}", [0.5 + i / 100, 0.4])


@pytest.mark.parametrize(("url", "limit"), [(BURNUP_URL, 3), (BEST_URL, 4), (ACTIVITY_URL, 6)])
def test_each_chart_reads_a_bounded_number_of_queries(
    alice, alice_client, url, limit, django_assert_max_num_queries
):
    _grow(alice, 4)
    alice_client.get(url, headers={"HX-Request": "true"})  # warm up the session

    with django_assert_max_num_queries(limit):
        response = alice_client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    drawn = "figure-" if url != ACTIVITY_URL else 'data-testid="activity-calendar"'
    assert drawn in response.text


def test_every_figure_is_valid_plotly(alice, q4_plan, milestone):
    import plotly.graph_objects as go

    project = _metric_project(alice, metric="accuracy", target=0.9)
    _import(project, "first", [0.8])
    (series,), _ = best_so_far.best_so_far_for(owner=alice)
    figures = [
        charts.burnup_figure(charts.burnup_for(owner=alice, quarter=Q4)),
        best_so_far.best_so_far_figure(series),
    ]

    for figure in figures:
        go.Figure(figure)  # raises on any attribute plotly does not know
