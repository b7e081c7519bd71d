"""The learning plan in a real browser: with htmx, and again with JavaScript turned off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from milestones.models import Milestone, MilestoneStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_signs_up_plans_and_checks_off_a_milestone_without_a_reload(
    page: Page, live_server, csp_violations
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "maya")
    page.fill("#id_email", "maya@example.com")
    page.fill("#id_password1", "gradient-descent-42")
    page.fill("#id_password2", "gradient-descent-42")
    page.click("button:has-text('Sign up')")
    expect(page).to_have_url(re.compile(r"/plan/2026/q4/$"))
    expect(page.get_by_text("No goals for Q4 2026 yet")).to_be_visible()

    page.fill("#id_title", "Ship the ticket router")
    page.fill("#id_success_criterion", "Macro-F1 at least 0.85 on the held-out month")
    page.click("button:has-text('Add goal')")
    goal = page.locator("[data-testid=goal]").first
    expect(goal.locator(".goal-title")).to_contain_text("Ship the ticket router")

    # From here on, nothing may reload the page: the marker lives only as long as the document.
    page.evaluate("window.__noReload = 'still here'")

    goal.get_by_placeholder("Add a milestone…").fill("Label 2,000 tickets")
    goal.get_by_role("button", name="Add").click()
    expect(page.locator("[data-testid=milestone]")).to_have_count(1)
    goal.get_by_placeholder("Add a milestone…").fill("Train the baseline")
    goal.get_by_role("button", name="Add").click()
    expect(page.locator("[data-testid=milestone]")).to_have_count(2)
    expect(page.get_by_test_id("quarter-count")).to_have_text("0 of 2 milestones done")
    expect(page.locator("[data-testid=goal] progress")).to_have_attribute("value", "0")

    page.get_by_role("button", name="Mark “Label 2,000 tickets” done").click()

    expect(page.get_by_test_id("quarter-count")).to_have_text("1 of 2 milestones done")
    expect(page.get_by_test_id("quarter-percent")).to_have_text("50%")
    expect(page.locator("[data-testid=goal] progress")).to_have_attribute("value", "1")
    expect(page.get_by_test_id("goal-count")).to_have_text("1/2 · 50%")
    assert page.evaluate("window.__noReload") == "still here"
    assert Milestone.objects.get(title="Label 2,000 tickets").status == MilestoneStatus.DONE

    # Log a check-in and rename a milestone in place, still without a reload.
    milestone = page.locator("[data-testid=milestone]", has_text="Train the baseline")
    milestone.get_by_role("link", name="Check in").click()
    expect(milestone.locator("input[name=progress]")).to_be_focused()
    milestone.locator("input[name=progress]").fill("40")
    milestone.locator("textarea[name=note]").fill("Baseline trains; F1 0.71 so far.")
    milestone.get_by_role("button", name="Log check-in").click()
    expect(page.locator("[data-testid=milestone]", has_text="Train the baseline")).to_contain_text(
        "40% · 1 check-in"
    )

    page.get_by_role("link", name="Rename “Train the baseline”").click()
    page.locator(".title-form input[name=title]").fill("Train the TF-IDF baseline")
    page.locator(".title-form").get_by_role("button", name="Save").click()
    expect(page.locator("[data-testid=milestone]").nth(1)).to_contain_text(
        "Train the TF-IDF baseline"
    )
    assert page.evaluate("window.__noReload") == "still here"
    assert csp_violations == []


def test_every_plan_action_works_with_javascript_off(browser, live_server, alice):
    from tests.factories import PASSWORD

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page).to_have_url(re.compile(r"/plan/2026/q4/$"))

    page.fill("#id_title", "Reproduce a paper")
    page.click("button:has-text('Add goal')")
    page.get_by_placeholder("Add a milestone…").fill("Baseline ResNet-18")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("[data-testid=milestone]")).to_have_count(1)

    # The status select needs its Set button without JavaScript.
    page.get_by_label("Status of “Baseline ResNet-18”").select_option("in_progress")
    page.get_by_role("button", name="Set").click()
    expect(page.get_by_label("Status of “Baseline ResNet-18”")).to_have_value("in_progress")

    page.get_by_role("link", name="Check in").click()
    page.fill("input[name=progress]", "60")
    page.fill("textarea[name=note]", "93% top-1 on the first seed.")
    page.click("button:has-text('Log check-in')")
    expect(page.locator("[data-testid=milestone]")).to_contain_text("60% · 1 check-in")

    page.get_by_role("link", name="Rename “Baseline ResNet-18”").click()
    page.fill("input[name=title]", "Baseline ResNet-18 at 93%")
    page.click("button:has-text('Save')")
    expect(page.locator("[data-testid=milestone]")).to_contain_text("Baseline ResNet-18 at 93%")

    page.get_by_role("button", name="Mark “Baseline ResNet-18 at 93%” done").click()
    expect(page.get_by_test_id("quarter-count")).to_have_text("1 of 1 milestone done")
    expect(page.get_by_test_id("quarter-percent")).to_have_text("100%")
    context.close()
