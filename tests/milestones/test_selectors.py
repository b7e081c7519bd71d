from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from milestones import selectors
from milestones.models import CheckIn, Milestone, QuarterlyGoal
from milestones.quarters import Quarter
from milestones.selectors import Progress
from tests.factories import CheckInFactory, GoalFactory, MilestoneFactory

Q4 = Quarter(2026, 4)


def test_it_counts_done_over_total_and_leaves_dropped_out():
    progress = Progress()
    for status in ("done", "planned", "dropped"):
        progress.add(status)

    assert (progress.done, progress.total, progress.percent) == (1, 2, 50)


def test_it_shows_zero_percent_when_there_is_nothing_to_do():
    progress = Progress()
    progress.add("dropped")

    assert (progress.done, progress.total, progress.percent) == (0, 0, 0)


@pytest.mark.parametrize(("done", "total", "percent"), [(1, 3, 33), (2, 3, 67), (3, 3, 100)])
def test_it_rounds_the_percent(done, total, percent):
    assert Progress(done=done, total=total).percent == percent


def test_it_shows_progress_per_goal_and_for_the_quarter(alice, goal):
    for status in ("done", "planned", "dropped"):
        MilestoneFactory(goal=goal, status=status, done_at=_done_at(status))
    other = GoalFactory(owner=alice, year=2026, quarter=4)
    for status in ("done", "done", "in_progress", "planned"):
        MilestoneFactory(goal=other, status=status, done_at=_done_at(status))

    plan = selectors.quarter_plan(owner=alice, quarter=Q4)

    by_goal = {gv.goal: gv.progress for gv in plan.goals}
    assert (by_goal[goal].done, by_goal[goal].total, by_goal[goal].percent) == (1, 2, 50)
    assert (by_goal[other].done, by_goal[other].total, by_goal[other].percent) == (2, 4, 50)
    assert (plan.progress.done, plan.progress.total, plan.progress.percent) == (3, 6, 50)
    assert selectors.quarter_progress(owner=alice, quarter=Q4) == plan.progress


def test_it_shows_only_the_owners_goals_of_that_quarter(alice, bob, goal):
    GoalFactory(owner=bob, year=2026, quarter=4)
    GoalFactory(owner=alice, year=2026, quarter=3)
    GoalFactory(owner=alice, year=2025, quarter=4)

    plan = selectors.quarter_plan(owner=alice, quarter=Q4)

    assert [gv.goal for gv in plan.goals] == [goal]


def test_it_shows_progress_for_each_quarter_of_the_year(alice, bob):
    q1 = GoalFactory(owner=alice, year=2026, quarter=1)
    for status in ("done", "done", "dropped"):
        MilestoneFactory(goal=q1, status=status, done_at=_done_at(status))
    q4 = GoalFactory(owner=alice, year=2026, quarter=4)
    for status in ("done", "planned", "in_progress", "planned"):
        MilestoneFactory(goal=q4, status=status, done_at=_done_at(status))
    # Neither another year nor another engineer counts.
    MilestoneFactory(goal=GoalFactory(owner=alice, year=2027, quarter=1), status="planned")
    MilestoneFactory(goal=GoalFactory(owner=bob, year=2026, quarter=2), status="planned")

    progress = selectors.year_progress(owner=alice, year=2026)

    assert list(progress) == [Quarter(2026, q) for q in range(1, 5)]
    assert {q.quarter: (p.done, p.total, p.percent) for q, p in progress.items()} == {
        1: (2, 2, 100),
        2: (0, 0, 0),
        3: (0, 0, 0),
        4: (1, 4, 25),
    }
    plan = selectors.quarter_plan(owner=alice, quarter=Q4)
    assert plan.year_progress == progress


@pytest.mark.parametrize(
    ("status", "due_date", "overdue"),
    [
        ("planned", datetime.date(2026, 11, 27), True),
        ("in_progress", datetime.date(2026, 10, 1), True),
        ("planned", datetime.date(2026, 11, 28), False),  # due today is not late yet
        ("planned", datetime.date(2026, 12, 15), False),
        ("planned", None, False),
        ("done", datetime.date(2026, 10, 1), False),
        ("dropped", datetime.date(2026, 10, 1), False),
    ],
)
def test_it_marks_open_milestones_past_their_due_date_as_overdue(
    alice, goal, status, due_date, overdue
):
    milestone = MilestoneFactory(
        goal=goal, status=status, due_date=due_date, done_at=_done_at(status)
    )

    plan = selectors.quarter_plan(owner=alice, quarter=Q4)

    [gv] = plan.goals
    [shown] = gv.milestones
    assert shown.overdue is overdue
    assert milestone.is_overdue() is overdue
    assert gv.overdue == plan.overdue == int(overdue)


def test_it_counts_overdue_milestones_across_the_quarter(alice, goal):
    late = datetime.date(2026, 11, 1)
    MilestoneFactory(goal=goal, due_date=late)
    MilestoneFactory(goal=goal, due_date=late, status="done", done_at=timezone.now())
    other = GoalFactory(owner=alice, year=2026, quarter=4)
    MilestoneFactory(goal=other, due_date=late, status="in_progress")
    MilestoneFactory(goal=other, due_date=late, status="dropped")

    plan = selectors.quarter_plan(owner=alice, quarter=Q4)

    assert [gv.overdue for gv in plan.goals] == [1, 1]
    assert plan.overdue == 2


def test_it_annotates_the_latest_checkin_progress_and_count(alice, milestone):
    base = timezone.now()
    CheckInFactory(milestone=milestone, progress=60, created_at=base - datetime.timedelta(days=1))
    CheckInFactory(milestone=milestone, progress=20, created_at=base - datetime.timedelta(days=9))
    CheckInFactory(milestone=milestone, progress=40, created_at=base - datetime.timedelta(days=5))
    untouched = MilestoneFactory(goal=milestone.goal)

    plan = selectors.quarter_plan(owner=alice, quarter=Q4)

    shown = {m.pk: m for m in plan.goals[0].milestones}
    assert shown[milestone.pk].last_progress == 60
    assert shown[milestone.pk].checkin_count == 3
    assert shown[untouched.pk].last_progress is None
    assert shown[untouched.pk].checkin_count is None
    assert selectors.milestone_last_progress(milestone=milestone) == 60
    assert selectors.milestone_last_progress(milestone=untouched) == 0


def test_it_shapes_one_goal_like_a_card_of_the_quarter_page(alice, goal):
    MilestoneFactory(goal=goal, status="done", done_at=timezone.now())
    MilestoneFactory(goal=goal, due_date=datetime.date(2026, 11, 2))

    gv = selectors.goal_view(goal=goal)

    assert gv.goal == goal
    assert len(gv.milestones) == 2
    assert (gv.progress.done, gv.progress.total, gv.overdue) == (1, 2, 1)


def test_it_answers_404_for_someone_elses_goal_or_milestone(bob, goal, milestone):
    with pytest.raises(Http404):
        selectors.goal_for_owner(user=bob, goal_id=goal.pk)
    with pytest.raises(Http404):
        selectors.milestone_for_owner(user=bob, milestone_id=milestone.pk)


def test_it_lists_checkins_newest_first(milestone):
    base = timezone.now()
    old = CheckInFactory(milestone=milestone, created_at=base - datetime.timedelta(days=3))
    new = CheckInFactory(milestone=milestone, created_at=base)
    mid = CheckInFactory(milestone=milestone, created_at=base - datetime.timedelta(days=1))

    assert list(selectors.milestone_checkins(milestone=milestone)) == [new, mid, old]


def _done_at(status: str):
    return timezone.now() if status == "done" else None


def _grow_plan(owner, goals: int, milestones: int, checkins: int) -> None:
    """Bulk-create a quarter's worth of plan so that the page has something to repeat over."""
    start = QuarterlyGoal.objects.count()
    made = QuarterlyGoal.objects.bulk_create(
        QuarterlyGoal(owner=owner, year=2026, quarter=4, title=f"Goal {start + g}", position=g)
        for g in range(goals)
    )
    statuses = ["planned", "in_progress", "done", "dropped"]
    ms = Milestone.objects.bulk_create(
        Milestone(
            goal=goal,
            title=f"Milestone {goal.pk}.{i}",
            status=statuses[i % 4],
            done_at=timezone.now() if statuses[i % 4] == "done" else None,
            due_date=datetime.date(2026, 11, 1 + i),
            position=i,
        )
        for goal in made
        for i in range(milestones)
    )
    CheckIn.objects.bulk_create(
        CheckIn(milestone=m, author=owner, progress=10 * c, confidence=3, note=f"step {c}")
        for m in ms
        for c in range(checkins)
    )


def test_it_renders_a_full_quarter_in_a_dozen_queries(
    alice, alice_client, django_assert_max_num_queries
):
    _grow_plan(alice, goals=10, milestones=10, checkins=5)

    with django_assert_max_num_queries(12):
        response = alice_client.get(reverse("milestones:quarter", args=[2026, 4]))

    assert response.status_code == 200
    assert response.text.count('data-testid="goal"') == 10
    assert response.text.count('data-testid="milestone"') == 100
    assert "5 check-ins" in response.text


def test_it_keeps_the_query_count_constant_as_the_plan_grows(alice, alice_client):
    url = reverse("milestones:quarter", args=[2026, 4])
    _grow_plan(alice, goals=1, milestones=1, checkins=1)
    alice_client.get(url)  # warm up the session

    with CaptureQueriesContext(connection) as small:
        alice_client.get(url)
    _grow_plan(alice, goals=9, milestones=10, checkins=5)
    with CaptureQueriesContext(connection) as large:
        response = alice_client.get(url)

    assert response.text.count('data-testid="goal"') == 10
    assert len(large) == len(small)
