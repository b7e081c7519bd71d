from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from milestones import services
from milestones.models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal
from tests.factories import CheckInFactory, MilestoneFactory


def test_it_adds_goals_at_the_end_of_their_quarter(alice):
    first = services.goal_create(owner=alice, year=2026, quarter=4, title="First")
    second = services.goal_create(owner=alice, year=2026, quarter=4, title="Second")

    assert (first.position, second.position) == (1, 2)
    assert list(QuarterlyGoal.objects.in_quarter(2026, 4)) == [first, second]


def test_it_counts_positions_per_owner_and_quarter(alice, bob):
    services.goal_create(owner=alice, year=2026, quarter=4, title="Alice Q4")
    services.goal_create(owner=alice, year=2026, quarter=4, title="Alice Q4 again")

    other_quarter = services.goal_create(owner=alice, year=2027, quarter=1, title="Alice Q1")
    other_owner = services.goal_create(owner=bob, year=2026, quarter=4, title="Bob Q4")

    assert other_quarter.position == 1
    assert other_owner.position == 1


def test_it_refuses_a_goal_in_a_quarter_that_does_not_exist(alice):
    with pytest.raises(ValidationError):
        services.goal_create(owner=alice, year=2026, quarter=5, title="Nope")
    assert not QuarterlyGoal.objects.exists()


def test_it_adds_milestones_at_the_end_of_their_goal(goal):
    first = services.milestone_create(goal=goal, title="One")
    second = services.milestone_create(goal=goal, title="Two", due_date=datetime.date(2026, 12, 1))

    assert (first.position, second.position) == (1, 2)
    assert first.status == MilestoneStatus.PLANNED
    assert list(goal.milestones.all()) == [first, second]


def test_it_stamps_done_at_when_a_milestone_is_done(milestone):
    services.milestone_set_status(milestone=milestone, status="done")

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.DONE
    assert milestone.done_at is not None


@pytest.mark.parametrize("status", ["planned", "in_progress", "dropped"])
def test_it_clears_done_at_on_any_other_status(milestone, status):
    services.milestone_set_status(milestone=milestone, status="done")

    services.milestone_set_status(milestone=milestone, status=status)

    milestone.refresh_from_db()
    assert milestone.status == status
    assert milestone.done_at is None


def test_it_keeps_the_first_done_at_when_set_done_twice(milestone):
    services.milestone_set_status(milestone=milestone, status="done")
    milestone.refresh_from_db()
    first_done_at = milestone.done_at

    services.milestone_set_status(milestone=milestone, status="done")

    milestone.refresh_from_db()
    assert milestone.done_at == first_done_at


def test_it_stores_evidence_with_the_status(milestone):
    services.milestone_set_status(
        milestone=milestone, status="done", evidence_url="https://github.com/alice/pr/1"
    )

    milestone.refresh_from_db()
    assert milestone.evidence_url == "https://github.com/alice/pr/1"


def test_it_refuses_an_unknown_status(milestone):
    with pytest.raises(ValueError):
        services.milestone_set_status(milestone=milestone, status="finished")

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_it_starts_a_planned_milestone_on_its_first_checkin(alice, milestone):
    checkin = services.checkin_create(milestone=milestone, author=alice, progress=20, note="Go")

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS
    assert checkin.progress == 20
    assert checkin.confidence == 3
    assert list(milestone.checkins.all()) == [checkin]


def test_it_leaves_a_done_milestone_done_on_a_checkin(alice, milestone):
    services.milestone_set_status(milestone=milestone, status="done")

    services.checkin_create(milestone=milestone, author=alice, progress=100)

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.DONE


@pytest.mark.parametrize(
    ("progress", "confidence"),
    [(-1, 3), (101, 3), (50, 0), (50, 6)],
)
def test_it_refuses_a_checkin_out_of_range_and_saves_nothing(
    alice, milestone, progress, confidence
):
    with pytest.raises(ValidationError):
        services.checkin_create(
            milestone=milestone, author=alice, progress=progress, confidence=confidence
        )

    milestone.refresh_from_db()
    assert not CheckIn.objects.exists()
    assert milestone.status == MilestoneStatus.PLANNED


@pytest.mark.parametrize(("progress", "confidence"), [(0, 1), (100, 5)])
def test_it_accepts_a_checkin_at_the_edges_of_its_ranges(alice, milestone, progress, confidence):
    services.checkin_create(
        milestone=milestone, author=alice, progress=progress, confidence=confidence
    )

    assert CheckIn.objects.get().progress == progress


def test_it_has_no_service_that_edits_or_deletes_a_checkin():
    checkin_services = [name for name in dir(services) if name.startswith("checkin_")]

    assert checkin_services == ["checkin_create"]


def test_it_deletes_a_goal_with_its_milestones_and_checkins(goal):
    CheckInFactory(milestone=MilestoneFactory(goal=goal))

    services.goal_delete(goal=goal)

    assert not QuarterlyGoal.objects.exists()
    assert not Milestone.objects.exists()
    assert not CheckIn.objects.exists()


def test_it_refuses_to_edit_fields_that_are_not_editable(goal, milestone, bob):
    with pytest.raises(ValueError):
        services.goal_update(goal=goal, owner=bob)
    with pytest.raises(ValueError):
        services.milestone_update(milestone=milestone, status="done")

    goal.refresh_from_db()
    milestone.refresh_from_db()
    assert goal.owner.username == "alice"
    assert milestone.status == MilestoneStatus.PLANNED


# The admin is the only other way in: it lists and shows check-ins but never changes them.


@pytest.fixture
def checkin(milestone):
    return CheckInFactory(milestone=milestone, note="Labelled the first 500 tickets")


def test_it_refuses_change_and_delete_of_a_checkin_in_the_admin(admin_user, checkin):
    checkin_admin = admin.site._registry[CheckIn]
    request = RequestFactory().get("/admin/")
    request.user = admin_user

    assert checkin_admin.has_change_permission(request) is True  # the list still works
    assert checkin_admin.has_change_permission(request, checkin) is False
    assert checkin_admin.has_delete_permission(request) is False
    assert checkin_admin.has_delete_permission(request, checkin) is False


def test_it_lists_checkins_in_the_admin(admin_client, checkin):
    response = admin_client.get(reverse("admin:milestones_checkin_changelist"))

    assert response.status_code == 200
    assert "Label 2,000 tickets" in response.text


def test_it_shows_a_checkin_read_only_in_the_admin(admin_client, checkin):
    response = admin_client.get(reverse("admin:milestones_checkin_change", args=[checkin.pk]))

    assert response.status_code == 200
    assert "Labelled the first 500 tickets" in response.text
    assert 'name="_save"' not in response.text
    assert 'name="_continue"' not in response.text
    assert 'name="note"' not in response.text


def test_it_refuses_to_delete_a_checkin_through_the_admin(admin_client, checkin):
    url = reverse("admin:milestones_checkin_delete", args=[checkin.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert CheckIn.objects.filter(pk=checkin.pk).exists()


def test_it_refuses_to_change_a_checkin_through_the_admin(admin_client, checkin):
    url = reverse("admin:milestones_checkin_change", args=[checkin.pk])

    response = admin_client.post(url, {"note": "rewritten", "progress": 99, "confidence": 5})

    assert response.status_code == 403
    checkin.refresh_from_db()
    assert checkin.note == "Labelled the first 500 tickets"
    assert checkin.progress == 50
