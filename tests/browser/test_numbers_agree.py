"""Numbers that agree: after each in-place htmx action, every figure on the page is what a reload
shows. The page is read whole (every counter, summary, progress bar and chart summary), once
after the action has settled and once after a reload, and the two readings must be equal."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from milestones import services as plan
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from tests.browser.session import log_in
from tests.factories import GoalFactory, MilestoneFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every figure of a page, in document order: the text of each element that shows a count or a
# share (by data-testid), every progress bar's value and max, and the header's unread count.
# Charts are included by their summaries and their tables of numbers.
READ_FIGURES = """
() => {
  const norm = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const out = {};
  const add = (key, value) => { (out[key] = out[key] || []).push(value); };
  for (const el of document.querySelectorAll("main [data-testid], header [data-testid]")) {
    const id = el.dataset.testid;
    if (/-(count|percent|summary|total|week|more|unread)$|^(year-count|goal-count)$/.test(id)) {
      add(id, norm(el.textContent));
    }
  }
  for (const el of document.querySelectorAll("main progress")) {
    add("progress:" + (el.getAttribute("aria-label") || el.className),
        el.getAttribute("value") + "/" + el.getAttribute("max"));
  }
  for (const el of document.querySelectorAll("main .badge")) {
    const text = norm(el.textContent);
    if (/^\\d+$/.test(text)) add("badge:" + (el.id || el.className), text);
  }
  const notice = document.querySelector("[data-testid=overdue-count]");
  out.overdue = [notice ? norm(notice.textContent) : "none"];
  return out;
}
"""


def _settled(page: Page) -> None:
    """Wait until htmx has nothing in flight and nothing swapping."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def _plan_charts_loaded(page: Page) -> None:
    # The charts load when they scroll into view.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.get_by_test_id("burnup-summary")).to_be_visible()
    expect(page.get_by_test_id("activity-summary")).to_be_visible()
    _settled(page)


def _figures(page: Page) -> dict:
    return page.evaluate(READ_FIGURES)


def _agrees_with_a_reload(page: Page, action: str, *, charts: bool) -> dict:
    """The figures after the action equal those after a reload; both returned for asserts."""
    _settled(page)
    if charts:
        _plan_charts_loaded(page)
    after_action = _figures(page)
    assert page.evaluate("window.__noReload") == "still here", f"{action}: the page reloaded"
    # The header's unread count fetches itself once the page is there: wait for it too.
    with page.expect_response(re.compile(r"/notifications/count/")):
        page.reload()
    if charts:
        _plan_charts_loaded(page)
    after_reload = _figures(page)
    assert after_action == after_reload, f"after {action}, the page disagrees with a reload"
    page.evaluate("window.__noReload = 'still here'")
    return after_reload


def _plan_action(page: Page, action: str, do) -> dict:
    """Do one in-place action on the plan page and wait for its answer and the charts' fetches."""
    with (
        page.expect_response(re.compile(r"/charts/burnup/")) as burnup,
        page.expect_response(re.compile(r"/charts/activity/")) as activity,
    ):
        do()
    assert burnup.value.ok and activity.value.ok
    return _agrees_with_a_reload(page, action, charts=True)


def test_every_figure_of_the_plan_page_agrees_after_each_in_place_action(
    page: Page, live_server, alice, csp_violations
):
    goal = GoalFactory(owner=alice, year=2026, quarter=4, title="Ship the ticket router")
    MilestoneFactory(goal=goal, title="Label 2,000 tickets", due_date=datetime.date(2026, 12, 20))
    other = GoalFactory(owner=alice, year=2026, quarter=4, title="Reproduce a paper")
    MilestoneFactory(goal=other, title="Read the paper twice", due_date=datetime.date(2026, 11, 2))
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/plan/2026/q4/")
    _plan_charts_loaded(page)
    page.evaluate("window.__noReload = 'still here'")
    before = _figures(page)
    assert before["quarter-count"] == ["0 of 2 milestones done"]
    assert before["overdue"] == ["1 milestone overdue this quarter."]

    card = page.locator("[data-testid=goal]", has_text="Ship the ticket router")

    def add_milestone():
        card.get_by_placeholder("Add a milestone…").fill("Train the baseline")
        card.get_by_label("Due date").fill("2026-11-10")
        card.get_by_role("button", name="Add").click()

    seen = _plan_action(page, "adding a milestone", add_milestone)
    assert seen["quarter-count"] == ["0 of 3 milestones done"]
    assert seen["overdue"] == ["2 milestones overdue this quarter."]

    seen = _plan_action(
        page,
        "ticking a milestone off",
        lambda: page.get_by_role("button", name="Mark “Label 2,000 tickets” done").click(),
    )
    assert seen["quarter-count"] == ["1 of 3 milestones done"]
    assert "1/3" in seen["year-count"]
    assert seen["burnup-summary"] == ["1 of 3 milestones done"]

    seen = _plan_action(
        page,
        "ticking an overdue milestone off",
        lambda: page.get_by_role("button", name="Mark “Read the paper twice” done").click(),
    )
    assert seen["overdue"] == ["1 milestone overdue this quarter."]

    def check_in():
        row = page.locator("[data-testid=milestone]", has_text="Train the baseline")
        row.get_by_role("link", name="Check in").click()
        row.locator("input[name=progress]").fill("40")
        row.get_by_role("button", name="Log check-in").click()

    seen = _plan_action(page, "logging a check-in", check_in)
    assert "1 check-in" in seen["activity-summary"][0]

    seen = _plan_action(
        page,
        "setting a status from the select",
        lambda: page.get_by_label("Status of “Train the baseline”").select_option("dropped"),
    )
    assert seen["quarter-count"] == ["2 of 2 milestones done"]
    assert seen["overdue"] == ["none"]

    seen = _plan_action(
        page,
        "reopening a milestone",
        lambda: page.get_by_role("button", name="Reopen “Label 2,000 tickets”").click(),
    )
    assert seen["quarter-count"] == ["1 of 2 milestones done"]
    assert seen["burnup-summary"] == ["1 of 2 milestones done"]

    # A rename moves no figure; the page still agrees with a reload.
    card.get_by_role("link", name="Rename “Train the baseline”").click()
    page.locator(".title-form input[name=title]").fill("Train the TF-IDF baseline")
    page.locator(".title-form").get_by_role("button", name="Save").click()
    expect(card).to_contain_text("Train the TF-IDF baseline")
    _agrees_with_a_reload(page, "renaming a milestone", charts=True)
    assert csp_violations == []


def test_the_mentor_inbox_and_the_notifications_agree_after_each_in_place_action(
    browser: Browser, live_server, alice
):
    mentor = UserFactory(username="mentor")
    _, secret = mentorship_invite(engineer=alice)
    mentorship_accept(token=secret, mentor=mentor)
    goal = GoalFactory(owner=alice, year=2026, quarter=4, visibility="mentors")
    for n in range(3):
        milestone = MilestoneFactory(goal=goal, title=f"Step {n}")
        plan.checkin_create(milestone=milestone, author=alice, progress=30, confidence=3, note="")

    context = browser.new_context()
    page = context.new_page()
    try:
        log_in(page, live_server.url, "mentor")
        page.goto(f"{live_server.url}/mentoring/")
        expect(page.get_by_test_id("inbox-item")).to_have_count(3)
        page.evaluate("window.__noReload = 'still here'")
        _agrees_with_a_reload(page, "opening the inbox", charts=False)

        first = page.get_by_test_id("inbox-item").first
        with page.expect_response(re.compile(r"/notifications/count/")):
            first.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_test_id("inbox-item")).to_have_count(2)
        seen = _agrees_with_a_reload(page, "acknowledging an item", charts=False)
        assert seen["badge:inbox-total"] == ["2"]

        page.goto(f"{live_server.url}/notifications/")
        page.evaluate("window.__noReload = 'still here'")
        page.get_by_role("button", name="Mark all as read").click()
        expect(page.get_by_test_id("unread-total")).to_have_text("0")
        seen = _agrees_with_a_reload(page, "marking all notifications read", charts=False)
        assert seen["unread-total"] == ["0"]
    finally:
        context.close()
