"""Every kind of page under the Content Security Policy in Chromium: plan, record, review with a
comment posted through htmx, results, compare, statistics, public profile and public project.
A violation is caught twice: the console message and the `securitypolicyviolation` event
(reported by an init script, which runs before the page's own scripts)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from milestones.services import milestone_set_status
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from projects.models import Run
from tests.factories import (
    PASSWORD,
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    import_results,
    long_csv,
    save_revision,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP-VIOLATION ${e.violatedDirective} blocked=${e.blockedURI} `
    + `at=${e.sourceFile}:${e.lineNumber} sample=${e.sample}`);
}, true);
"""


def _watch(page: Page, seen: list[str]) -> None:
    page.add_init_script(REPORT_VIOLATIONS)

    def note(msg) -> None:
        if "CSP-VIOLATION" in msg.text or "Content Security Policy" in msg.text:
            seen.append(f"{page.url}: {msg.text}")

    page.on("console", note)


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def cast(db):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    profile = alice.profile
    profile.is_public = True
    profile.display_name = "Alice Liddell"
    profile.bio = "I build **ranking models**."
    profile.save()
    project = create_project(
        owner=alice,
        title="Churn model",
        visibility="public",
        problem="Predict which customers leave next month.",
    )
    import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    ("base", "val/auc"): [0.61, 0.7, 0.74, 0.78],
                    ("wide", "val/auc"): [0.63, 0.72, 0.79, 0.83],
                    ("deep", "val/auc"): [0.6, 0.69, 0.77, 0.81],
                }
            ),
        ),
    )
    save_revision(project, success_metric="val/auc", success_target=0.8)
    goal = GoalFactory(owner=alice, title="Ship churn", visibility="public", year=2026, quarter=4)
    done = MilestoneFactory(goal=goal, title="Deploy behind a flag")
    milestone_set_status(milestone=done, status="done", evidence_url="https://example.com/pr/1")
    MilestoneFactory(goal=goal, title="Write the model card")
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    return {"alice": alice, "project": project}


def test_no_page_kind_violates_the_content_security_policy(browser, live_server, cast):
    base, project = live_server.url, cast["project"]
    runs = ",".join(
        str(pk) for pk in Run.objects.filter(project=project).values_list("pk", flat=True)
    )
    owner_context, mentor_context, visitor_context = (browser.new_context() for _ in range(3))
    owner, mentor, visitor = (
        c.new_page() for c in (owner_context, mentor_context, visitor_context)
    )
    violations: list[str] = []
    for page in (owner, mentor, visitor):
        _watch(page, violations)
    try:
        _log_in(owner, base, "alice")
        for path, ready in [
            ("/plan/", "text=Ship churn"),
            (f"/projects/{project.slug}/", "text=Churn model"),
            (f"/projects/{project.slug}/results/", ".main-svg"),
            (f"/projects/{project.slug}/compare/?runs={runs}", ".main-svg"),
            (f"/projects/{project.slug}/stats/?runs={runs}", "main"),
        ]:
            owner.goto(f"{base}{path}", wait_until="networkidle")
            expect(owner.locator(ready).first).to_be_visible()

        # Review: the mentor comments on a section; htmx swaps the thread in.
        _log_in(mentor, base, "bob")
        mentor.goto(f"{base}/people/alice/projects/{project.slug}/", wait_until="networkidle")
        section = mentor.locator("#section-problem")
        section.get_by_text("Comment on this section").click()
        section.locator("textarea[name=body]").fill("Is the last month held out in time?")
        section.get_by_role("button", name="Comment").click()
        expect(section.get_by_test_id("thread")).to_contain_text("held out in time")
        mentor.wait_for_load_state("networkidle")

        # Public pages, signed out.
        for path in ("/u/alice/", f"/u/alice/{project.slug}/"):
            visitor.goto(f"{base}{path}", wait_until="networkidle")
            expect(visitor.get_by_text("Alice Liddell").first).to_be_visible()
        assert violations == []

        # The watch itself works: an inline style attribute is reported.
        visitor.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
        )
        visitor.wait_for_timeout(300)
        assert any("style-src" in v for v in violations), violations
    finally:
        for context in (owner_context, mentor_context, visitor_context):
            context.close()
