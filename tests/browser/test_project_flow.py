"""Project records in a real browser: revisions, history, diff, restore, preview and conflicts."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import Page, expect

from projects import services
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST = "Route support tickets to the right team within one minute."
SECOND = "Route support tickets to the right team within five seconds."
THIRD = "Route customer emails to the right team within five seconds."


def log_in(page: Page, live_server, username: str = "alice") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page).to_have_url(re.compile(r"/plan/2026/q4/$"))


def make_project(owner, problem: str = "Route support tickets."):
    return services.project_create(
        owner=owner,
        content={"title": "Ticket router", "status": "active", "problem": problem},
    )


def save_revision(page: Page, problem: str, note: str) -> None:
    page.get_by_label("Problem and business goal").fill(problem)
    page.get_by_label("What changed?").fill(note)
    page.get_by_role("button", name="Save revision").click()


def test_it_creates_a_project_edits_it_twice_compares_and_restores_revision_1(
    page: Page, live_server, alice, csp_violations
):
    log_in(page, live_server)

    page.goto(f"{live_server.url}/projects/new/?start=blank")
    expect(page.get_by_text("Starting blank")).to_be_visible()
    expect(page.get_by_label("Problem and business goal")).to_have_value("")
    page.get_by_label("Title", exact=True).fill("Ticket router")
    page.get_by_label("Summary", exact=True).fill(
        "Sends each support ticket to the team that can fix it."
    )
    page.get_by_label("Problem and business goal").fill(FIRST)
    page.get_by_role("button", name="Create project").click()

    expect(page).to_have_url(re.compile(r"/projects/ticket-router/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ticket router")
    expect(page.get_by_test_id("revision-line")).to_contain_text("revision 1")
    expect(page.locator("#section-problem")).to_contain_text(FIRST)

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Problem and business goal")).to_have_value(FIRST)
    save_revision(page, SECOND, "Tighter latency goal")
    expect(page.get_by_role("status")).to_contain_text("Saved as revision 2.")
    expect(page.get_by_test_id("revision-line")).to_contain_text("revision 2")

    page.get_by_role("link", name="Edit", exact=True).click()
    save_revision(page, THIRD, "Emails, not tickets")
    expect(page.get_by_role("status")).to_contain_text("Saved as revision 3.")
    expect(page.get_by_test_id("revision-line")).to_contain_text("revision 3")
    expect(page.locator("#section-problem")).to_contain_text(THIRD)

    page.get_by_role("link", name="History", exact=True).click()
    rows = page.get_by_test_id("revision-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Emails, not tickets")
    expect(rows.nth(1)).to_contain_text("Tighter latency goal")
    expect(rows.nth(2)).to_contain_text("Created")
    page.get_by_label("Compare from revision 1").check()
    page.get_by_label("Compare to revision 3").check()
    page.get_by_role("button", name="Compare selected").click()

    expect(page).to_have_url(re.compile(r"/projects/ticket-router/diff/\?(a=1&b=3|b=3&a=1)$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Revision 1 → 3")
    expect(page.get_by_test_id("diff-field")).to_have_count(1)
    problem_diff = page.locator("#diff-problem")
    expect(problem_diff.locator("del")).to_have_text(["support tickets", "one minute."])
    expect(problem_diff.locator("ins")).to_have_text(["customer emails", "five seconds."])

    page.get_by_role("link", name="Read revision 1").click()
    expect(page).to_have_url(re.compile(r"/projects/ticket-router/revisions/1/$"))
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("You are reading revision 1")
    expect(banner).to_contain_text("not the current one (revision 3)")
    expect(page.locator("#section-problem")).to_contain_text(FIRST)
    banner.get_by_role("link", name="Restore this revision").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Restore revision 1?")
    page.get_by_role("button", name="Restore as a new revision").click()

    expect(page).to_have_url(re.compile(r"/projects/ticket-router/$"))
    expect(page.get_by_role("status")).to_contain_text("Revision 1 restored as revision 4.")
    expect(page.get_by_test_id("revision-line")).to_contain_text("revision 4")
    expect(page.locator("#section-problem")).to_contain_text(FIRST)
    expect(page.get_by_role("note")).to_have_count(0)

    page.get_by_role("link", name="History", exact=True).click()
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("restored from revision 1")
    assert csp_violations == []


def test_the_live_preview_renders_markdown_while_typing(
    page: Page, live_server, alice, csp_violations
):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    project = make_project(alice, problem="")
    log_in(page, live_server)
    page.goto(f"{live_server.url}/projects/{project.slug}/edit/")

    # From here on, nothing may reload the page: the marker lives only as long as the document.
    page.evaluate("window.__noReload = 'still here'")

    problem = page.get_by_label("Problem and business goal")
    field = page.locator(".section-field").filter(has=problem)
    preview = page.locator("#preview-problem")
    expect(preview).to_contain_text("Nothing to preview yet.")

    problem.press_sequentially("**bold** and a [link](https://example.com)")
    field.locator("summary", has_text="Preview").click()
    expect(preview).to_be_visible()
    expect(preview.locator("strong")).to_have_text("bold")
    expect(preview.get_by_role("link", name="link")).to_have_attribute(
        "href", "https://example.com"
    )
    assert page.evaluate("window.__noReload") == "still here"

    # Type over the selection, so that no request for an empty field races the one that counts.
    payload = "<img src=x onerror=alert(1)>"
    problem.select_text()
    with page.expect_response(
        lambda r: (
            r.url.endswith("/projects/preview/")
            and payload in unquote_plus(r.request.post_data or "")
        )
    ) as response:
        problem.press_sequentially(payload)
    assert response.value.ok
    expect(problem).to_have_value(payload)
    expect(preview).not_to_contain_text("bold")
    expect(preview.locator("img")).to_have_count(0)
    expect(page.locator("img[onerror]")).to_have_count(0)
    assert "onerror" not in preview.inner_html()
    assert page.evaluate("window.__noReload") == "still here"
    assert dialogs == []
    assert csp_violations == []


def test_a_second_tab_cannot_overwrite_unseen_changes(
    page: Page, live_server, alice, csp_violations
):
    project = make_project(alice, problem=FIRST)
    log_in(page, live_server)
    edit_url = f"{live_server.url}/projects/{project.slug}/edit/"
    first = page
    second = page.context.new_page()
    second.on(
        "console",
        lambda msg: (
            csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    first.goto(edit_url)
    second.goto(edit_url)
    expect(second.get_by_label("Problem and business goal")).to_have_value(FIRST)

    save_revision(first, SECOND, "From the first tab")
    expect(first.get_by_test_id("revision-line")).to_contain_text("revision 2")

    save_revision(second, THIRD, "From the second tab")
    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("This record changed while you were editing.")
    expect(conflict).to_contain_text("Revision 2 was saved")
    expect(conflict).to_contain_text("after the revision 1 you started from")
    expect(second.get_by_label("Problem and business goal")).to_have_value(THIRD)
    expect(second.get_by_label("What changed?")).to_have_value("From the second tab")
    assert project.revisions.count() == 2

    second.get_by_role("button", name="Save revision").click()
    expect(second).to_have_url(re.compile(rf"/projects/{project.slug}/$"))
    expect(second.get_by_role("status")).to_contain_text("Saved as revision 3.")
    expect(second.get_by_test_id("revision-line")).to_contain_text("revision 3")
    expect(second.locator("#section-problem")).to_contain_text(THIRD)
    second.close()
    assert csp_violations == []
