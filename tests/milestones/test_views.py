from __future__ import annotations

import datetime
import json
import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from milestones.models import CheckIn, Milestone, QuarterlyGoal
from tests.factories import CheckInFactory, GoalFactory, MilestoneFactory

QUARTER_URL = "/plan/2026/q4/"

# Every URL of milestones/urls.py: name, the object its argument is taken from, the status the
# owner gets for a GET, and the form a POST sends (None: the URL takes no POST).
ROUTES = [
    ("plan", None, 302, None),
    ("quarter", "quarter", 200, None),
    (
        "goal-create",
        None,
        200,
        {"title": "Reproduce a paper", "year": 2026, "quarter": 4, "visibility": "private"},
    ),
    (
        "goal-edit",
        "goal",
        200,
        {"title": "Renamed", "year": 2026, "quarter": 4, "visibility": "public"},
    ),
    ("goal-delete", "goal", 200, {}),
    ("goal-title", "goal", 200, {"title": "Renamed"}),
    ("milestone-create", "goal", 200, {"title": "New step", "due_date": "2026-12-01"}),
    (
        "milestone",
        "milestone",
        200,
        {"title": "Renamed", "due_date": "2026-12-01", "status": "done", "notes": "n"},
    ),
    ("milestone-status", "milestone", 405, {"status": "done"}),
    ("milestone-title", "milestone", 200, {"title": "Renamed"}),
    ("milestone-delete", "milestone", 200, {}),
    ("checkin-create", "milestone", 200, {"progress": 40, "confidence": 4, "note": "Moved"}),
]
POST_ROUTES = [r for r in ROUTES if r[3] is not None]
# Where an owner's POST without htmx lands.
POST_LANDS_ON_MILESTONE = {"milestone"}


def _url(name: str, kind: str | None, goal, milestone) -> str:
    args = {
        None: [],
        "quarter": [2026, 4],
        "goal": [goal.pk],
        "milestone": [milestone.pk],
    }[kind]
    return reverse(f"milestones:{name}", args=args)


def _snapshot(goal, milestone) -> tuple:
    """What alice would notice had changed in her plan."""
    goal.refresh_from_db()
    milestone.refresh_from_db()
    return (
        goal.title,
        goal.visibility,
        milestone.title,
        milestone.status,
        milestone.done_at,
        milestone.due_date,
        milestone.notes,
        QuarterlyGoal.objects.filter(owner=goal.owner).count(),
        Milestone.objects.filter(goal=goal).count(),
        CheckIn.objects.filter(milestone=milestone).count(),
    )


def _assert_goal_card(response, goal, *, done: int, total: int, percent: int) -> None:
    """An htmx answer: the goal card alone, with the quarter's progress swapped out of band."""
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    assert f'id="goal-{goal.pk}"' in text
    assert 'id="quarter-progress"' in text
    assert 'hx-swap-oob="true"' in text
    assert f"{done} of {total} milestone" in text
    assert f'data-testid="quarter-percent">{percent}%<' in text


def _login_redirect(path: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?next={quote(path)}"


# --- Who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "status", "data"), ROUTES, ids=[r[0] for r in ROUTES])
def test_it_answers_the_owners_get(alice_client, goal, milestone, name, kind, status, data):
    response = alice_client.get(_url(name, kind, goal, milestone))

    assert response.status_code == status
    if status == 200:
        assert "<html" in response.text


@pytest.mark.parametrize(
    ("name", "kind", "status", "data"), POST_ROUTES, ids=[r[0] for r in POST_ROUTES]
)
def test_it_redirects_the_owners_post(alice_client, goal, milestone, name, kind, status, data):
    response = alice_client.post(_url(name, kind, goal, milestone), data)

    assert response.status_code == 302
    if name in POST_LANDS_ON_MILESTONE:
        assert response["Location"] == milestone.get_absolute_url()
    else:
        assert response["Location"].startswith(QUARTER_URL)


def test_it_applies_each_of_the_owners_posts(alice, alice_client, goal, milestone):
    def post(name, kind, **data):
        response = alice_client.post(_url(name, kind, goal, milestone), data)
        assert response.status_code == 302

    post("goal-title", "goal", title="Ship the router")
    post("milestone-title", "milestone", title="Label 3,000 tickets")
    post("milestone-create", "goal", title="Baseline", due_date="2026-12-01")
    post("milestone-status", "milestone", status="done")
    post("checkin-create", "milestone", progress=100, confidence=5, note="All labelled")

    goal.refresh_from_db()
    milestone.refresh_from_db()
    assert goal.title == "Ship the router"
    assert milestone.title == "Label 3,000 tickets"
    assert milestone.status == "done"
    assert milestone.done_at is not None
    assert goal.milestones.get(title="Baseline").due_date == datetime.date(2026, 12, 1)
    assert milestone.checkins.get().note == "All labelled"

    post("milestone-delete", "milestone")
    assert not Milestone.objects.filter(pk=milestone.pk).exists()
    post("goal-delete", "goal")
    assert not QuarterlyGoal.objects.filter(owner=alice).exists()


def test_it_refuses_a_get_where_only_post_makes_sense(alice_client, goal, milestone):
    assert alice_client.post(reverse("milestones:quarter", args=[2026, 4])).status_code == 405
    url = reverse("milestones:milestone-status", args=[milestone.pk])
    assert alice_client.get(url).status_code == 405


OBJECT_ROUTES = [r for r in ROUTES if r[1] in ("goal", "milestone")]


@pytest.mark.parametrize(
    ("name", "kind", "status", "data"), OBJECT_ROUTES, ids=[r[0] for r in OBJECT_ROUTES]
)
def test_it_answers_404_to_another_engineer(
    bob_client, goal, milestone, htmx_headers, name, kind, status, data
):
    url = _url(name, kind, goal, milestone)
    before = _snapshot(goal, milestone)

    if status != 405:
        assert bob_client.get(url).status_code == 404
        assert bob_client.get(url, headers=htmx_headers).status_code == 404
    assert bob_client.post(url, data).status_code == 404
    assert bob_client.post(url, data, headers=htmx_headers).status_code == 404

    assert _snapshot(goal, milestone) == before


def test_it_shows_another_engineer_their_own_quarter_not_alices(bob, bob_client, milestone):
    GoalFactory(owner=bob, title="Bob's own goal")

    response = bob_client.get(QUARTER_URL)

    assert response.status_code == 200
    assert "Bob&#x27;s own goal" in response.text
    assert "Ship the ticket router" not in response.text
    assert "Label 2,000 tickets" not in response.text


def test_it_adds_another_engineers_new_goal_to_their_own_plan(bob, bob_client, goal):
    data = {"title": "Bob's goal", "year": 2026, "quarter": 4, "visibility": "private"}

    bob_client.post(reverse("milestones:goal-create"), data)

    assert QuarterlyGoal.objects.get(title="Bob's goal").owner == bob
    assert QuarterlyGoal.objects.filter(owner=goal.owner).count() == 1


@pytest.mark.parametrize(("name", "kind", "status", "data"), ROUTES, ids=[r[0] for r in ROUTES])
def test_it_sends_someone_signed_out_to_the_login_page(
    client, goal, milestone, name, kind, status, data
):
    url = _url(name, kind, goal, milestone)
    before = _snapshot(goal, milestone)

    get = client.get(url)
    post = client.post(url, data or {})

    for response in (get, post):
        assert response.status_code == 302
        assert response["Location"] == _login_redirect(url)
    assert _snapshot(goal, milestone) == before


# --- htmx actions: the card with htmx, a redirect without --------------------------------------


def test_it_adds_a_milestone_and_answers_htmx_with_the_card(alice_client, goal, htmx_headers):
    url = reverse("milestones:milestone-create", args=[goal.pk])

    response = alice_client.post(
        url, {"title": "Baseline model", "due_date": "2026-12-20"}, headers=htmx_headers
    )

    _assert_goal_card(response, goal, done=0, total=1, percent=0)
    assert "Baseline model" in response.text
    assert goal.milestones.get().due_date == datetime.date(2026, 12, 20)
    assert "HX-Request" in response["Vary"]


def test_it_adds_a_milestone_and_redirects_without_htmx(alice_client, goal):
    url = reverse("milestones:milestone-create", args=[goal.pk])

    response = alice_client.post(url, {"title": "Baseline model"})

    assert response.status_code == 302
    assert response["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"
    assert goal.milestones.get().title == "Baseline model"


def test_it_ticks_a_milestone_off_and_answers_htmx_with_the_card(
    alice_client, goal, milestone, htmx_headers
):
    MilestoneFactory(goal=goal, title="Second step")
    url = reverse("milestones:milestone-status", args=[milestone.pk])

    response = alice_client.post(url, {"status": "done"}, headers=htmx_headers)

    _assert_goal_card(response, goal, done=1, total=2, percent=50)
    assert 'data-testid="goal-count">1/2 · 50%' in response.text
    assert "is-done" in response.text
    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.done_at is not None


def test_a_tick_answers_every_figure_of_the_page_and_tells_the_charts(
    alice_client, goal, milestone, htmx_headers
):
    MilestoneFactory(goal=goal, title="Late step", due_date=datetime.date(2026, 11, 1))
    url = reverse("milestones:milestone-status", args=[milestone.pk])

    response = alice_client.post(url, {"status": "done"}, headers=htmx_headers)

    text = response.text
    # The year strip and the overdue notice come out of band with the quarter's progress.
    assert 'id="year-strip"' in text and 'data-testid="year-count">1/2<' in text
    assert 'id="plan-overdue" hx-swap-oob="true"' in text
    assert "1 milestone overdue this quarter." in text
    # The burn-up and the activity calendar fetch themselves again on this event.
    assert "plan-changed" in json.loads(response.headers["HX-Trigger"])
    page = alice_client.get(QUARTER_URL).text
    assert page.count("plan-changed from:body") == 2


def test_a_refused_status_or_a_rename_moves_no_chart(alice_client, goal, milestone, htmx_headers):
    status_url = reverse("milestones:milestone-status", args=[milestone.pk])
    refused = alice_client.post(status_url, {"status": "nonsense"}, headers=htmx_headers)
    title_url = reverse("milestones:milestone-title", args=[milestone.pk])
    renamed = alice_client.post(title_url, {"title": "Label 3,000"}, headers=htmx_headers)

    assert "HX-Trigger" not in refused.headers
    assert "HX-Trigger" not in renamed.headers
    assert 'id="year-strip"' in renamed.text


def test_the_overdue_notice_goes_when_the_last_late_milestone_is_done(
    alice_client, goal, htmx_headers
):
    late = MilestoneFactory(goal=goal, title="Late", due_date=datetime.date(2026, 11, 1))
    url = reverse("milestones:milestone-status", args=[late.pk])

    response = alice_client.post(url, {"status": "done"}, headers=htmx_headers)

    assert 'id="plan-overdue" hx-swap-oob="true"' in response.text
    assert "overdue this quarter" not in response.text


def test_it_ticks_a_milestone_off_and_redirects_without_htmx(alice_client, goal, milestone):
    url = reverse("milestones:milestone-status", args=[milestone.pk])

    response = alice_client.post(url, {"status": "done"})

    assert response.status_code == 302
    assert response["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"
    milestone.refresh_from_db()
    assert milestone.status == "done"


def test_it_reopens_a_done_milestone(alice_client, goal, milestone, htmx_headers):
    url = reverse("milestones:milestone-status", args=[milestone.pk])
    alice_client.post(url, {"status": "done"}, headers=htmx_headers)

    response = alice_client.post(url, {"status": "planned"}, headers=htmx_headers)

    _assert_goal_card(response, goal, done=0, total=1, percent=0)
    milestone.refresh_from_db()
    assert milestone.status == "planned"
    assert milestone.done_at is None


def test_it_offers_to_reopen_a_done_milestone_with_checkins_as_in_progress(
    alice_client, milestone, htmx_headers
):
    CheckInFactory(milestone=milestone)
    url = reverse("milestones:milestone-status", args=[milestone.pk])

    response = alice_client.post(url, {"status": "done"}, headers=htmx_headers)

    assert 'name="status" value="in_progress"' in response.text
    assert f"Reopen “{milestone.title}”" in response.text


def test_it_drops_a_milestone_out_of_the_count(alice_client, goal, milestone, htmx_headers):
    done = MilestoneFactory(goal=goal, status="done", done_at=timezone.now())
    url = reverse("milestones:milestone-status", args=[milestone.pk])

    response = alice_client.post(url, {"status": "dropped"}, headers=htmx_headers)

    _assert_goal_card(response, goal, done=1, total=1, percent=100)
    done.refresh_from_db()
    assert done.status == "done"


def test_it_logs_a_checkin_and_answers_htmx_with_the_card(
    alice_client, goal, milestone, htmx_headers
):
    url = reverse("milestones:checkin-create", args=[milestone.pk])

    response = alice_client.post(
        url, {"progress": 40, "confidence": 4, "note": "Half labelled"}, headers=htmx_headers
    )

    _assert_goal_card(response, goal, done=0, total=1, percent=0)
    assert "40% · 1 check-in" in response.text
    assert response["HX-Retarget"] == f"#goal-{goal.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    milestone.refresh_from_db()
    assert milestone.status == "in_progress"
    assert milestone.checkins.get().note == "Half labelled"


def test_it_logs_a_checkin_and_redirects_without_htmx(alice_client, goal, milestone):
    url = reverse("milestones:checkin-create", args=[milestone.pk])

    response = alice_client.post(url, {"progress": 40, "confidence": 4, "note": "Half"})

    assert response.status_code == 302
    assert response["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"
    assert milestone.checkins.count() == 1
    page = alice_client.get(response["Location"])
    assert "Check-in logged." in page.text


@pytest.mark.parametrize("kind", ["goal", "milestone"])
def test_it_renames_in_place_and_answers_htmx_with_the_card(
    alice_client, goal, milestone, htmx_headers, kind
):
    url = _url(f"{kind}-title", kind, goal, milestone)

    response = alice_client.post(url, {"title": "A better title"}, headers=htmx_headers)

    _assert_goal_card(response, goal, done=0, total=1, percent=0)
    assert "A better title" in response.text
    assert response["HX-Retarget"] == f"#goal-{goal.pk}"
    renamed = goal if kind == "goal" else milestone
    renamed.refresh_from_db()
    assert renamed.title == "A better title"


@pytest.mark.parametrize("kind", ["goal", "milestone"])
def test_it_renames_and_redirects_without_htmx(alice_client, goal, milestone, kind):
    url = _url(f"{kind}-title", kind, goal, milestone)

    response = alice_client.post(url, {"title": "A better title"})

    assert response.status_code == 302
    assert response["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"
    renamed = goal if kind == "goal" else milestone
    renamed.refresh_from_db()
    assert renamed.title == "A better title"


@pytest.mark.parametrize("kind", ["goal", "milestone"])
def test_it_offers_the_title_form_in_place_with_htmx_and_as_a_page_without(
    alice_client, goal, milestone, htmx_headers, kind
):
    url = _url(f"{kind}-title", kind, goal, milestone)
    title = goal.title if kind == "goal" else milestone.title

    fragment = alice_client.get(url, headers=htmx_headers)
    page = alice_client.get(url)

    assert 'class="title-form"' in fragment.text
    assert f'value="{title}"' in fragment.text
    assert "<html" not in fragment.text
    assert "<html" in page.text
    assert f"Rename {kind}" in page.text


def test_it_refuses_an_empty_title_and_keeps_the_old_one(
    alice_client, goal, milestone, htmx_headers
):
    url = reverse("milestones:goal-title", args=[goal.pk])

    fragment = alice_client.post(url, {"title": "  "}, headers=htmx_headers)
    page = alice_client.post(url, {"title": ""})

    assert fragment.status_code == page.status_code == 200
    assert "This field is required." in fragment.text
    assert "<html" not in fragment.text
    assert "This field is required." in page.text
    goal.refresh_from_db()
    assert goal.title == "Ship the ticket router"


def test_it_offers_the_checkin_form_starting_from_the_last_progress(
    alice_client, milestone, htmx_headers
):
    CheckInFactory(milestone=milestone, progress=35)
    url = reverse("milestones:checkin-create", args=[milestone.pk])

    fragment = alice_client.get(url, headers=htmx_headers)
    page = alice_client.get(url)

    assert 'class="checkin-form"' in fragment.text
    assert 'value="35"' in fragment.text
    assert "<html" not in fragment.text
    assert "<html" in page.text


# --- Where a non-htmx action returns -----------------------------------------------------------


ACTIONS = [
    ("milestone-status", "milestone", {"status": "done"}),
    ("checkin-create", "milestone", {"progress": 10, "confidence": 3}),
    ("milestone-create", "goal", {"title": "Another step"}),
    ("goal-title", "goal", {"title": "Renamed"}),
    ("milestone-title", "milestone", {"title": "Renamed"}),
]


@pytest.mark.parametrize(("name", "kind", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_it_returns_to_a_same_site_next(alice_client, goal, milestone, name, kind, data):
    back = milestone.get_absolute_url() + "?tab=history"

    response = alice_client.post(_url(name, kind, goal, milestone), {**data, "next": back})

    assert response.status_code == 302
    assert response["Location"] == back


@pytest.mark.parametrize(("name", "kind", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
@pytest.mark.parametrize(
    "evil", ["https://evil.example/plan/", "//evil.example/plan/", "http://testserver.evil/"]
)
def test_it_ignores_an_off_site_next(alice_client, goal, milestone, name, kind, data, evil):
    response = alice_client.post(_url(name, kind, goal, milestone), {**data, "next": evil})

    assert response.status_code == 302
    assert response["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"


# --- Invalid input -----------------------------------------------------------------------------


def test_it_keeps_the_typed_due_date_when_the_milestone_title_is_empty(
    alice_client, goal, htmx_headers
):
    url = reverse("milestones:milestone-create", args=[goal.pk])

    response = alice_client.post(url, {"title": "", "due_date": "2026-12-20"}, headers=htmx_headers)

    _assert_goal_card(response, goal, done=0, total=0, percent=0)
    assert "This field is required." in response.text
    assert 'value="2026-12-20"' in response.text
    assert not goal.milestones.exists()


def test_it_re_renders_the_new_milestone_page_with_errors_without_htmx(alice_client, goal):
    url = reverse("milestones:milestone-create", args=[goal.pk])

    response = alice_client.post(url, {"title": "", "due_date": "2026-12-20"})

    assert response.status_code == 200
    assert "<html" in response.text
    assert "This field is required." in response.text
    assert 'value="2026-12-20"' in response.text
    assert not goal.milestones.exists()


def test_it_keeps_the_typed_note_when_checkin_progress_is_out_of_range(
    alice_client, milestone, htmx_headers
):
    url = reverse("milestones:checkin-create", args=[milestone.pk])

    response = alice_client.post(
        url, {"progress": 150, "confidence": 4, "note": "Way ahead"}, headers=htmx_headers
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'class="checkin-form"' in response.text
    assert "Ensure this value is less than or equal to 100." in response.text
    assert "Way ahead</textarea>" in response.text
    assert 'value="150"' in response.text
    assert not milestone.checkins.exists()
    milestone.refresh_from_db()
    assert milestone.status == "planned"


def test_it_re_renders_the_checkin_page_with_errors_without_htmx(alice_client, milestone):
    url = reverse("milestones:checkin-create", args=[milestone.pk])

    response = alice_client.post(url, {"progress": -5, "confidence": 9, "note": "Oops"})

    assert response.status_code == 200
    assert "<html" in response.text
    assert "Oops</textarea>" in response.text
    assert "Ensure this value is greater than or equal to 0." in response.text
    assert not milestone.checkins.exists()


@pytest.mark.parametrize("status", ["finished", "", "DONE"])
def test_it_changes_nothing_on_an_invalid_status(
    alice_client, goal, milestone, htmx_headers, status
):
    url = reverse("milestones:milestone-status", args=[milestone.pk])
    before = _snapshot(goal, milestone)

    fragment = alice_client.post(url, {"status": status}, headers=htmx_headers)
    redirect = alice_client.post(url, {"status": status})

    _assert_goal_card(fragment, goal, done=0, total=1, percent=0)
    assert redirect.status_code == 302
    assert redirect["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"
    assert _snapshot(goal, milestone) == before
    page = alice_client.get(redirect["Location"])
    assert "nothing changed" in page.text


# --- The quarter page --------------------------------------------------------------------------


def test_it_sends_plan_to_the_current_quarter(alice_client):
    response = alice_client.get(reverse("milestones:plan"))

    assert response.status_code == 302
    assert response["Location"] == QUARTER_URL


@pytest.mark.parametrize(
    "path", ["/plan/2026/q5/", "/plan/2026/q0/", "/plan/1999/q1/", "/plan/2101/q1/"]
)
def test_it_answers_404_for_a_quarter_that_does_not_exist(alice_client, path):
    assert alice_client.get(path).status_code == 404


def test_it_links_to_the_neighbouring_quarters(alice_client):
    response = alice_client.get(QUARTER_URL)

    assert '<a class="button ghost" href="/plan/2026/q3/" rel="prev">← Q3 2026</a>' in (
        response.text
    )
    assert '<a class="button ghost" href="/plan/2027/q1/" rel="next">Q1 2027 →</a>' in (
        response.text
    )
    assert "This quarter</a>" not in response.text


def test_it_links_back_to_this_quarter_from_another(alice_client):
    response = alice_client.get("/plan/2027/q1/")

    assert response.status_code == 200
    assert f'href="{QUARTER_URL}">This quarter</a>' in response.text
    assert 'href="/plan/2026/q4/" rel="prev"' in response.text
    assert 'href="/plan/2027/q2/" rel="next"' in response.text


def test_it_shows_the_plan_with_progress(alice_client, goal, milestone):
    MilestoneFactory(goal=goal, title="Baseline", status="done", done_at=timezone.now())
    MilestoneFactory(goal=goal, title="Blog post", status="dropped")

    response = alice_client.get(QUARTER_URL)

    assert response.status_code == 200
    assert "Ship the ticket router" in response.text
    assert "Label 2,000 tickets" in response.text
    assert "1 of 2 milestones done" in response.text
    assert 'data-testid="quarter-percent">50%<' in response.text
    assert 'data-testid="goal-count">1/2 · 50%' in response.text
    assert "hx-swap-oob" not in response.text


def test_it_marks_overdue_milestones_and_counts_them(alice_client, goal, milestone):
    late = MilestoneFactory(goal=goal, title="Late", due_date=datetime.date(2026, 11, 1))
    also_late = MilestoneFactory(
        goal=goal, title="Also late", status="in_progress", due_date=datetime.date(2026, 11, 27)
    )
    done_late = MilestoneFactory(
        goal=goal,
        title="Done late",
        status="done",
        done_at=timezone.now(),
        due_date=datetime.date(2026, 11, 1),
    )

    response = alice_client.get(QUARTER_URL)

    text = response.text
    assert f'class="milestone status-planned is-overdue" id="milestone-{late.pk}"' in text
    assert f'class="milestone status-in_progress is-overdue" id="milestone-{also_late.pk}"' in text
    assert f'class="milestone status-done" id="milestone-{done_late.pk}"' in text
    assert f'class="milestone status-planned" id="milestone-{milestone.pk}"' in text
    assert text.count("Overdue · due") == 2
    assert "2 milestones overdue this quarter." in text


def test_it_shows_no_overdue_notice_when_nothing_is_late(alice_client, milestone):
    response = alice_client.get(QUARTER_URL)

    assert "overdue this quarter" not in response.text
    assert "is-overdue" not in response.text


def test_it_shows_the_empty_state_when_there_are_no_goals(alice_client):
    response = alice_client.get(QUARTER_URL)

    assert "No goals for Q4 2026 yet" in response.text
    assert 'data-testid="goal"' not in response.text
    assert '<details class="card add-goal" open>' in response.text


def test_it_hides_the_empty_state_once_there_is_a_goal(alice_client, goal):
    response = alice_client.get(QUARTER_URL)

    assert "No goals for Q4 2026 yet" not in response.text
    assert '<details class="card add-goal">' in response.text


def test_it_shows_the_years_quarters_side_by_side(alice, alice_client, goal, milestone):
    q1 = GoalFactory(owner=alice, year=2026, quarter=1)
    MilestoneFactory(goal=q1, status="done", done_at=timezone.now())

    response = alice_client.get(QUARTER_URL)

    for q in range(1, 5):
        assert f'href="/plan/2026/q{q}/"' in response.text
    assert 'aria-current="page"' in response.text
    assert '<span class="muted small" data-testid="year-count">1/1</span>' in response.text
    assert '<span class="muted small" data-testid="year-count">0/1</span>' in response.text


def test_it_selects_each_milestones_status_in_its_status_menu(alice_client, goal, milestone):
    MilestoneFactory(goal=goal, status="in_progress")

    response = alice_client.get(QUARTER_URL)

    assert response.text.count('<option value="planned" selected>Planned</option>') == 1
    assert response.text.count('<option value="in_progress" selected>In progress</option>') == 1
    assert '<option value="done" selected>' not in response.text


def test_it_gives_every_row_form_a_csrf_token_that_works(alice, milestone):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(QUARTER_URL)
    tick_form = re.search(r'<form class="tick-form".*?</form>', page.text, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', tick_form).group(1)
    url = reverse("milestones:milestone-status", args=[milestone.pk])

    refused = client.post(url, {"status": "done"})
    accepted = client.post(url, {"status": "done", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == "done"


# --- Goals, without JavaScript -----------------------------------------------------------------


def test_it_creates_a_goal_from_the_full_page_form(alice, alice_client):
    form = alice_client.get(reverse("milestones:goal-create") + "?year=2027&quarter=1")
    assert 'value="2027"' in form.text

    response = alice_client.post(
        reverse("milestones:goal-create"),
        {
            "title": "Distributed training",
            "year": 2027,
            "quarter": 1,
            "why": "Bigger models",
            "success_criterion": "4 GPUs, near-linear speed-up",
            "visibility": "public",
        },
    )

    goal = QuarterlyGoal.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/plan/2027/q1/#goal-{goal.pk}"
    assert (goal.title, goal.why, goal.visibility, goal.position) == (
        "Distributed training",
        "Bigger models",
        "public",
        1,
    )
    page = alice_client.get(response["Location"])
    assert "Goal “Distributed training” added." in page.text


def test_it_re_renders_the_goal_form_with_errors_and_typed_values(alice, alice_client):
    response = alice_client.post(
        reverse("milestones:goal-create"),
        {"title": "", "year": 2026, "quarter": 4, "why": "Typed reason", "visibility": "public"},
    )

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "Typed reason</textarea>" in response.text
    assert not QuarterlyGoal.objects.filter(owner=alice).exists()


def test_it_refuses_a_goal_in_a_year_out_of_range(alice, alice_client):
    response = alice_client.post(
        reverse("milestones:goal-create"),
        {"title": "Time travel", "year": 1999, "quarter": 4, "visibility": "private"},
    )

    assert response.status_code == 200
    assert "greater than or equal to 2000" in response.text
    assert 'value="Time travel"' in response.text
    assert not QuarterlyGoal.objects.filter(owner=alice).exists()


def test_it_edits_a_goal_from_the_full_page_form(alice_client, goal):
    form = alice_client.get(reverse("milestones:goal-edit", args=[goal.pk]))
    assert 'value="Ship the ticket router"' in form.text

    response = alice_client.post(
        reverse("milestones:goal-edit", args=[goal.pk]),
        {
            "title": "Ship it",
            "year": 2027,
            "quarter": 1,
            "why": "Slipped",
            "success_criterion": "",
            "visibility": "mentors",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/plan/2027/q1/#goal-{goal.pk}"
    goal.refresh_from_db()
    assert (goal.title, goal.year, goal.quarter, goal.why, goal.visibility) == (
        "Ship it",
        2027,
        1,
        "Slipped",
        "mentors",
    )


def test_it_re_renders_the_goal_edit_form_with_typed_values(alice_client, goal):
    response = alice_client.post(
        reverse("milestones:goal-edit", args=[goal.pk]),
        {"title": "", "year": 2026, "quarter": 4, "why": "New why", "visibility": "nobody"},
    )

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "Select a valid choice." in response.text
    assert "New why</textarea>" in response.text
    goal.refresh_from_db()
    assert goal.title == "Ship the ticket router"
    assert goal.why == ""


def test_it_asks_before_deleting_a_goal_then_deletes_it_all(alice_client, goal, milestone):
    CheckInFactory(milestone=milestone)
    url = reverse("milestones:goal-delete", args=[goal.pk])

    confirm = alice_client.get(url)
    response = alice_client.post(url)

    assert "This deletes the goal with its 1 milestone and their check-ins." in confirm.text
    assert response.status_code == 302
    assert response["Location"] == QUARTER_URL
    assert not QuarterlyGoal.objects.exists()
    assert not Milestone.objects.exists()
    assert not CheckIn.objects.exists()


def test_it_asks_before_deleting_a_milestone_then_deletes_it(alice_client, goal, milestone):
    url = reverse("milestones:milestone-delete", args=[milestone.pk])

    confirm = alice_client.get(url)
    response = alice_client.post(url)

    assert "Delete “Label 2,000 tickets”?" in confirm.text
    assert response["Location"] == f"{QUARTER_URL}#goal-{goal.pk}"
    assert not Milestone.objects.exists()
    assert QuarterlyGoal.objects.filter(pk=goal.pk).exists()


def test_it_offers_a_full_page_for_a_new_milestone(alice_client, goal):
    response = alice_client.get(reverse("milestones:milestone-create", args=[goal.pk]))

    assert response.status_code == 200
    assert "<h1>New milestone</h1>" in response.text
    assert 'name="due_date"' in response.text


# --- The milestone page ------------------------------------------------------------------------


def test_it_saves_the_milestone_edit_form(alice_client, milestone):
    url = reverse("milestones:milestone", args=[milestone.pk])

    response = alice_client.post(
        url,
        {
            "title": "Label 3,000 tickets",
            "notes": "With the support team",
            "due_date": "2026-12-05",
            "evidence_url": "https://github.com/alice/labels/pull/7",
            "status": "done",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url
    milestone.refresh_from_db()
    assert milestone.title == "Label 3,000 tickets"
    assert milestone.notes == "With the support team"
    assert milestone.due_date == datetime.date(2026, 12, 5)
    assert milestone.evidence_url == "https://github.com/alice/labels/pull/7"
    assert milestone.status == "done"
    assert milestone.done_at is not None
    page = alice_client.get(url)
    assert "Milestone saved." in page.text
    assert 'href="https://github.com/alice/labels/pull/7"' in page.text


def test_it_keeps_the_first_done_date_when_a_done_milestone_is_saved_again(alice_client, milestone):
    url = reverse("milestones:milestone", args=[milestone.pk])
    data = {"title": "Label", "due_date": "2026-12-05", "status": "done"}
    alice_client.post(url, data)
    milestone.refresh_from_db()
    first_done_at = milestone.done_at

    alice_client.post(url, {**data, "notes": "Later note"})

    milestone.refresh_from_db()
    assert milestone.notes == "Later note"
    assert milestone.done_at == first_done_at


def test_it_reopens_a_milestone_from_the_edit_form(alice_client, milestone):
    url = reverse("milestones:milestone", args=[milestone.pk])
    alice_client.post(url, {"title": "Label", "status": "done"})

    alice_client.post(url, {"title": "Label", "status": "in_progress"})

    milestone.refresh_from_db()
    assert milestone.status == "in_progress"
    assert milestone.done_at is None


def test_it_re_renders_the_milestone_edit_form_with_errors(alice_client, milestone):
    url = reverse("milestones:milestone", args=[milestone.pk])

    response = alice_client.post(
        url, {"title": "Typed title", "evidence_url": "not a url", "status": "done"}
    )

    assert response.status_code == 200
    assert "Enter a valid URL." in response.text
    assert 'value="Typed title"' in response.text
    milestone.refresh_from_db()
    assert milestone.title == "Label 2,000 tickets"
    assert milestone.status == "planned"


def test_it_lists_the_checkin_history_newest_first(alice_client, milestone):
    now = timezone.now()
    for days_ago, note in [(10, "Oldest note"), (1, "Newest note"), (5, "Middle note")]:
        CheckInFactory(
            milestone=milestone, note=note, created_at=now - datetime.timedelta(days=days_ago)
        )

    response = alice_client.get(reverse("milestones:milestone", args=[milestone.pk]))

    text = response.text
    assert text.index("Newest note") < text.index("Middle note") < text.index("Oldest note")
    assert "No check-ins yet" not in text


def test_it_shows_an_empty_checkin_history(alice_client, milestone):
    response = alice_client.get(reverse("milestones:milestone", args=[milestone.pk]))

    assert "No check-ins yet." in response.text


def test_it_logs_a_checkin_from_the_milestone_page_and_returns_there(alice_client, milestone):
    url = reverse("milestones:milestone", args=[milestone.pk])
    page = alice_client.get(url)
    assert f'<input type="hidden" name="next" value="{url}">' in page.text

    response = alice_client.post(
        reverse("milestones:checkin-create", args=[milestone.pk]),
        {"progress": 30, "confidence": 2, "note": "Slow going", "next": url},
    )

    assert response["Location"] == url
    assert "Slow going" in alice_client.get(url).text


def test_it_marks_an_overdue_milestone_on_its_page(alice_client, goal):
    late = MilestoneFactory(goal=goal, due_date=datetime.date(2026, 11, 1))

    response = alice_client.get(reverse("milestones:milestone", args=[late.pk]))

    assert "Overdue · due Nov 1, 2026" in response.text
