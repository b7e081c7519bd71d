"""Each milestone row of the quarter page (built in Python for speed) says what the milestone is:
its status, due date, evidence, target and check-ins, with its title escaped."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CheckInFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


def _row(response, milestone) -> str:
    match = re.search(
        rf'<li class="milestone[^"]*" id="milestone-{milestone.pk}".*?</li>', response.text, re.S
    )
    assert match, f"no row for milestone {milestone.pk}"
    return match.group(0)


def _quarter(client, goal):
    return client.get(reverse("milestones:quarter", args=[goal.year, goal.quarter]))


def test_a_done_milestone_row_shows_its_evidence_and_offers_to_reopen(alice, alice_client, goal):
    done = MilestoneFactory(
        goal=goal,
        title="Ship <v2> & tell",
        status="done",
        done_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 12)),
        due_date=datetime.date(2026, 11, 5),
        evidence_url="https://example.com/pr/1",
    )
    CheckInFactory(milestone=done, author=alice, progress=100)

    row = _row(_quarter(alice_client, goal), done)

    assert 'class="milestone status-done"' in row
    assert "Ship &lt;v2&gt; &amp; tell" in row and "<v2>" not in row
    assert 'aria-label="Reopen “Ship &lt;v2&gt; &amp; tell”"' in row
    assert 'name="status" value="in_progress"' in row
    assert "<span>done Nov 3</span>" in row
    assert 'href="https://example.com/pr/1" rel="nofollow noopener"' in row
    assert "100% · 1 check-in" in row
    assert '<option value="done" selected>' in row
    assert row.count('name="csrfmiddlewaretoken"') == 2


def test_an_overdue_milestone_with_a_target_says_both(alice_client, goal):
    late = MilestoneFactory(
        goal=goal,
        title="Beat the baseline",
        status="in_progress",
        due_date=timezone.localdate() - datetime.timedelta(days=3),
        target_metric="val_acc",
        target_comparison=">=",
        target_threshold=0.9,
    )

    row = _row(_quarter(alice_client, goal), late)

    assert "is-overdue" in row and "Overdue · due" in row
    assert "target val_acc ≥ 0.9" in row
    assert 'name="status" value="done"' in row
    assert 'aria-label="Mark “Beat the baseline” done"' in row
    assert reverse("milestones:milestone", args=[late.pk]) in row


def test_an_unsafe_evidence_link_is_not_linked(alice_client, goal):
    odd = MilestoneFactory(goal=goal, title="Odd", evidence_url="javascript:alert(1)")

    row = _row(_quarter(alice_client, goal), odd)

    assert "javascript:" not in row
    assert "evidence</a>" not in row
    assert "target-mark" not in row
