"""Review in a real browser, with two people at once: the engineer invites a mentor, the mentor
signs up through the link and comments on a section, the engineer sees the count rise and
resolves the thread."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from portfolio.models import Comment, Mentorship
from tests.factories import PASSWORD, UserFactory, create_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _csp_watch(page: Page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return seen


def test_an_engineer_and_a_mentor_review_a_record_together(browser: Browser, live_server):
    alice = UserFactory(username="alice")
    project = create_project(
        owner=alice,
        title="Churn model",
        visibility="mentors",
        problem="Predict which customers leave next month, from 18 months of usage logs.",
    )
    create_project(owner=alice, title="Secret side project", visibility="private")
    base = live_server.url

    engineer_context = browser.new_context()
    mentor_context = browser.new_context()
    engineer = engineer_context.new_page()
    mentor = mentor_context.new_page()
    violations = _csp_watch(engineer) + _csp_watch(mentor)
    try:
        # The engineer makes an invitation link.
        _log_in(engineer, base, "alice")
        engineer.goto(f"{base}/settings/mentors/")
        engineer.get_by_role("button", name="Create invitation link").click()
        link = engineer.get_by_test_id("invitation-link").input_value()
        engineer.get_by_test_id("copy-invitation").click()
        expect(engineer.get_by_test_id("copy-invitation")).to_have_text("Copied")
        assert "/mentoring/accept/" in link
        expect(engineer.get_by_test_id("notification-count")).to_be_empty()

        # Someone without an account opens it, signs up and accepts.
        mentor.goto(link)
        expect(mentor.get_by_text("Alice")).to_be_visible()
        mentor.get_by_role("link", name="Sign up to accept").click()
        mentor.fill("#id_username", "morgan")
        mentor.fill("#id_email", "morgan@example.com")
        mentor.fill("#id_password1", "gradient-descent-42")
        mentor.fill("#id_password2", "gradient-descent-42")
        mentor.get_by_role("button", name="Sign up").click()
        # Signing up after opening the invitation accepts it (portfolio/accounts/views.py).
        expect(mentor).to_have_url(re.compile(r"/mentoring/$"))
        expect(mentor.get_by_text("You now mentor")).to_be_visible()
        assert Mentorship.objects.active().filter(mentor__username="morgan").exists()

        # The mentor reads the shared project, never the private one, and comments on a section.
        mentor.get_by_role("link", name=re.compile("Alice")).first.click()
        expect(mentor.get_by_text("Churn model")).to_be_visible()
        expect(mentor.get_by_text("Secret side project")).to_have_count(0)
        mentor.get_by_role("link", name=re.compile("Churn model")).first.click()
        section = mentor.locator("#section-problem")
        section.get_by_text("Comment on this section").click()
        section.locator("input[name=quote]").fill("18 months of usage logs")
        section.locator("textarea[name=body]").fill("Is the last month held out in time?")
        section.get_by_role("button", name="Comment").click()
        thread = section.get_by_test_id("thread")
        expect(thread).to_contain_text("Is the last month held out in time?")
        expect(thread).to_contain_text("18 months of usage logs")

        # The engineer's count rises with the acceptance, then with the comment.
        engineer.reload()
        expect(engineer.get_by_test_id("unread-count")).to_have_attribute("data-count", "2")
        engineer.get_by_role("link", name="Notifications").click()
        engineer.get_by_role("link", name=re.compile("commented on")).first.click()
        expect(engineer).to_have_url(re.compile(rf"/people/alice/projects/{project.slug}/"))
        thread = engineer.locator("#section-problem").get_by_test_id("thread")
        expect(thread).to_contain_text("Is the last month held out in time?")
        thread.get_by_role("button", name="Resolve").click()
        expect(engineer.locator("#section-problem .thread.is-resolved")).to_have_count(1)
        # Opening the comment's notification read it; the acceptance is still unread.
        expect(engineer.get_by_test_id("unread-count")).to_have_attribute("data-count", "1")
        root = Comment.objects.get(body="Is the last month held out in time?")
        assert root.resolved_by == alice

        # The mentor sees it resolved after a reload.
        mentor.reload()
        expect(mentor.locator("#section-problem .thread.is-resolved")).to_have_count(1)
        assert violations == []
    finally:
        engineer_context.close()
        mentor_context.close()


SELECT_PASSAGE = """([selector, first, last]) => {
  // Select from the word `first` to the end of the word `last` inside the rendered section,
  // across whatever markup lies between (bold, a paragraph's end, a list item).
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let start = null, end = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!start && node.data.includes(first)) start = node;
    if (node.data.includes(last)) end = node;
  }
  const range = document.createRange();
  range.setStart(start, start.data.indexOf(first));
  range.setEnd(end, end.data.indexOf(last) + last.length);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}"""


def test_a_mentor_quotes_a_passage_by_selecting_it_on_the_page(browser: Browser, live_server):
    from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite

    alice = UserFactory(username="alice")
    UserFactory(username="morgan")
    project = create_project(
        owner=alice,
        title="Churn model",
        visibility="mentors",
        problem=(
            "Predict which customers **leave next month**, from usage logs.\n\n"
            "Signals we trust:\n\n- support tickets opened\n- logins per week\n"
        ),
    )
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=UserFactory._meta.model.objects.get(username="morgan"))
    base = live_server.url
    quoted = "customers leave next month, from usage logs. Signals we trust: support tickets"

    mentor_context = browser.new_context()
    engineer_context = browser.new_context()
    mentor = mentor_context.new_page()
    engineer = engineer_context.new_page()
    violations = _csp_watch(mentor) + _csp_watch(engineer)
    try:
        _log_in(mentor, base, "morgan")
        mentor.goto(f"{base}/people/alice/projects/{project.slug}/")
        section = mentor.locator("#section-problem")
        quote_button = mentor.get_by_test_id("quote-button")
        expect(section.locator("input[name=quote]")).to_be_hidden()  # the form is closed

        # A selection outside the rendered text (the section's title) offers nothing.
        mentor.evaluate(SELECT_PASSAGE, ["#section-problem h3", "Problem", "Problem"])
        mentor.wait_for_timeout(300)
        expect(quote_button).to_be_hidden()

        # A passage across bold text, a paragraph's end and a list item.
        mentor.evaluate(SELECT_PASSAGE, ["#section-problem .prose", "customers", "tickets"])
        expect(quote_button).to_be_visible()
        quote_button.click()
        expect(quote_button).to_be_hidden()
        expect(section.locator("input[name=quote]")).to_have_value(quoted)
        body = section.locator("textarea[name=body]")
        expect(body).to_be_focused()
        body.fill("Are tickets known before the month you predict?")
        section.get_by_role("button", name="Comment").click()
        thread = section.get_by_test_id("thread")
        expect(thread).to_contain_text("Are tickets known before the month you predict?")
        expect(thread.locator("blockquote.quote")).to_have_text(quoted)
        assert Comment.objects.get(quote=quoted).section == "problem"

        # The engineer reads the thread with its quote.
        _log_in(engineer, base, "alice")
        engineer.goto(f"{base}/people/alice/projects/{project.slug}/")
        thread = engineer.locator("#section-problem").get_by_test_id("thread")
        expect(thread.locator("blockquote.quote")).to_have_text(quoted)
        expect(thread).to_contain_text("Are tickets known before the month you predict?")
        assert violations == []
    finally:
        mentor_context.close()
        engineer_context.close()


def test_quote_works_with_a_tap_on_a_touch_screen(browser: Browser, live_server):
    from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite

    alice, morgan = UserFactory(username="alice"), UserFactory(username="morgan")
    project = create_project(
        owner=alice,
        title="Churn model",
        visibility="mentors",
        problem="Predict which customers **leave next month**, from usage logs.",
    )
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=morgan)
    phone = browser.new_context(
        viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True
    )
    page = phone.new_page()
    try:
        _log_in(page, live_server.url, "morgan")
        page.goto(f"{live_server.url}/people/alice/projects/{project.slug}/")
        page.evaluate(SELECT_PASSAGE, ["#section-problem .prose", "leave", "logs"])
        page.locator("#section-problem .prose").dispatch_event("touchend")
        button = page.get_by_test_id("quote-button")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        button.tap()
        section = page.locator("#section-problem")
        expect(section.locator("input[name=quote]")).to_have_value(
            "leave next month, from usage logs"
        )
        expect(section.locator("textarea[name=body]")).to_be_focused()
    finally:
        phone.close()
