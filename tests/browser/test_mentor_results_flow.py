"""Feedback on results in a real browser, two people at once: a mentor opens the charts of a
project shared with mentors, pins feedback to the chart, and the engineer reads it with its pin
and follows the link back to the same chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from portfolio.models import Comment
from tests.browser.test_mentor_flow import _csp_watch, _log_in
from tests.factories import UserFactory, create_project, import_results, long_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_mentor_pins_feedback_to_a_chart_and_the_engineer_opens_it(browser: Browser, live_server):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    project = create_project(owner=alice, title="Churn model", visibility="mentors")
    series = {
        ("base", "val/loss"): [0.9, 0.7, 0.6],
        ("wide", "val/loss"): [0.8, 0.5, 0.55],
    }
    import_results(project, ("runs.csv", long_csv(series)))
    base = live_server.url

    engineer_context, mentor_context = browser.new_context(), browser.new_context()
    engineer, mentor = engineer_context.new_page(), mentor_context.new_page()
    violations = _csp_watch(engineer) + _csp_watch(mentor)
    try:
        # The mentor goes from the record's review page to its charts, read-only.
        _log_in(mentor, base, "bob")
        mentor.goto(f"{base}/people/alice/projects/{project.slug}/")
        mentor.get_by_test_id("results-entry").get_by_role("link", name="Charts").click()
        expect(mentor).to_have_url(re.compile(rf"/projects/{project.pk}~{project.slug}/results/"))
        expect(mentor.get_by_test_id("chart").first).to_be_visible()
        expect(mentor.get_by_text("Upload one")).to_have_count(0)

        # ... and pins feedback to the chart on the screen.
        mentor.get_by_text("Discuss this chart").click()
        mentor.fill("#pin-body-chart", "The wide run turns back up after step 2.")
        mentor.get_by_role("button", name="Send feedback").click()
        expect(mentor.get_by_text(re.compile(r"Feedback on chart val.loss"))).to_be_visible()
        expect(mentor).to_have_url(re.compile(r"/results/"))
        comment = Comment.objects.get()
        assert comment.pin["metric"] == "val/loss"

        # The engineer is told, reads the thread with its pin, and opens that chart.
        _log_in(engineer, base, "alice")
        engineer.goto(f"{base}/notifications/")
        engineer.get_by_role("link", name=re.compile(r"commented on chart val.loss")).click()
        pin = engineer.get_by_test_id("thread-pin")
        # The runs in the order the chart chose (best first).
        expect(pin).to_contain_text("chart val/loss for runs “wide”, “base”")
        expect(engineer.locator(".thread")).to_contain_text("turns back up after step 2")
        pin.get_by_role("link").click()
        expect(engineer).to_have_url(re.compile(rf"/projects/{project.slug}/results/\?metric="))
        expect(engineer.get_by_test_id("chart").first).to_be_visible()
        expect(engineer.get_by_test_id("run-choice").locator("input:checked")).to_have_count(2)
        assert violations == []
    finally:
        engineer_context.close()
        mentor_context.close()
