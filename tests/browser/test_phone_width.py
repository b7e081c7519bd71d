"""Phones: no page of Cairn scrolls sideways on a 360 px screen. Every kind of page is opened at
360 px wide, as the owner, a mentor and someone signed out, and the document may not be wider
than the screen."""

from __future__ import annotations

import datetime
import io
import re

import PIL.Image
import pytest
from playwright.sync_api import Browser, expect

from milestones import services as plan
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from portfolio.models import Profile
from portfolio.public.reads import project_page
from projects.artifacts import artifact_store
from projects.models import Run
from tests.browser.session import log_in
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    import_results,
    sample,
    save_revision,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}

# The widest element that sticks out, to say what to fix when the check fails.
WIDEST = """
() => {
  const limit = document.documentElement.clientWidth;
  let worst = null;
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right;
    if (right > limit + 0.5 && (!worst || right > worst.right)) {
      const cls = typeof el.className === "string" ? el.className.trim() : "";
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
      worst = { right, what: name + (cls ? "." + cls.split(/\\s+/).join(".") : "") };
    }
  }
  return { scroll: document.documentElement.scrollWidth, worst };
}
"""


@pytest.fixture
def world(alice):
    Profile.objects.filter(user=alice).update(is_public=True, headline="ML engineer")
    goal = GoalFactory(owner=alice, visibility="public", title="Ship the ticket router")
    milestone = MilestoneFactory(goal=goal, title="Label 2,000 tickets")
    late = MilestoneFactory(goal=goal, title="Train it", due_date=datetime.date(2026, 11, 2))
    plan.checkin_create(milestone=milestone, author=alice, progress=40, confidence=3, note="Going")
    plan.milestone_set_status(milestone=late, status="done")
    project = create_project(owner=alice, title="Card fraud detection", visibility="public")
    save_revision(project, problem="Catch card fraud in real time, with a long explanation.")
    imp = import_results(project, sample("long.csv"))
    import_results(project, sample("mlflow_runs.csv"))
    # Artifacts of a run the public page shows: a wide image and JSON with a long line.
    shown = Run.objects.get(pk=project_page(project).top_runs[0].id)
    wide = io.BytesIO()
    PIL.Image.new("RGB", (900, 200), "white").save(wide, format="PNG")
    wide.seek(0)
    artifact_store(run=shown, path="plots/a-rather-long-confusion-matrix-name.png", stream=wide)
    notes = io.BytesIO(b'{"thresholds": "' + b"0.1,0.2,0.3," * 40 + b'"}')
    artifact = artifact_store(run=shown, path="evaluation/per-threshold-metrics.json", stream=notes)
    mentor = UserFactory(username="mentor")
    _, secret = mentorship_invite(engineer=alice)
    mentorship_accept(token=secret, mentor=mentor)
    # Results a mentor reads on the reader routes (/projects/<id>~<slug>/...): never public.
    shared = create_project(owner=alice, title="Churn model for the mentors", visibility="mentors")
    import_results(shared, sample("long.csv"))
    import_results(shared, sample("mlflow_runs.csv"))
    # An invitation not yet accepted, with a long note, for its page.
    UserFactory(username="invitee")
    _, invitation = mentorship_invite(
        engineer=alice,
        email="invitee@example.com",
        note="Would you look at my churn-model-evaluation-with-a-very-long-hyphenated-name work?",
    )
    return {
        "goal": goal,
        "milestone": milestone,
        "project": project,
        "import": imp,
        "shared": shared,
        "invitation": invitation,
        "artifact": artifact,
    }


def _wide_pages(browser: Browser, base: str, user: str | None, paths: list[str]) -> list[str]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    too_wide = []
    try:
        if user:
            log_in(page, base, user)
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status == 200, f"{path}: {response}"
            # Lazy charts and fragments load as they scroll into view: take them all in.
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_load_state("networkidle")
            seen = page.evaluate(WIDEST)
            if seen["scroll"] > PHONE["width"]:
                too_wide.append(f"{path}: {seen['scroll']} px, widest {seen['worst']}")
    finally:
        context.close()
    return too_wide


def test_no_page_scrolls_sideways_at_360_px(browser: Browser, live_server, world):
    p = world["project"]
    s = p.slug
    run = p.runs.first()
    owner = [
        "/plan/2026/q4/",
        f"/plan/milestones/{world['milestone'].pk}/",
        f"/plan/milestones/{world['milestone'].pk}/checkins/new/",
        "/projects/",
        f"/projects/{s}/",
        f"/projects/{s}/edit/",
        f"/projects/{s}/history/",
        f"/projects/{s}/revisions/1/",
        f"/projects/{s}/diff/?a=1&b=2",
        f"/projects/{s}/runs/",
        f"/projects/{s}/runs/{run.pk}/",
        f"/projects/{s}/results/",
        f"/projects/{s}/compare/",
        f"/projects/{s}/stats/",
        f"/projects/{s}/imports/progress/",
        f"/projects/{s}/imports/{world['import'].pk}/",
        f"/projects/{s}/imports/{world['import'].pk}/preview/",
        "/settings/profile/",
        "/settings/mentors/",
        "/settings/tokens/",
        "/notifications/",
        "/notifications/settings/",
    ]
    shared = world["shared"]
    reader = f"/projects/{shared.pk}~{shared.slug}"
    shared_runs = ",".join(str(pk) for pk in shared.runs.values_list("pk", flat=True)[:4])
    mentor = [
        "/mentoring/",
        "/people/alice/",
        f"/people/alice/projects/{s}/",
        f"/people/alice/projects/{s}/r1/",
        f"/people/alice/projects/{shared.slug}/",
        f"/people/alice/milestones/{world['milestone'].pk}/",
        "/notifications/",
        "/notifications/settings/",
        "/settings/tokens/",
        f"{reader}/runs/",
        f"{reader}/runs/{shared.runs.first().pk}/",
        f"{reader}/results/",
        f"{reader}/compare/",
        f"{reader}/compare/?runs={shared_runs}",
        f"{reader}/stats/",
    ]
    invitation = f"/mentoring/accept/{world['invitation']}/"
    public = ["/u/alice/", f"/u/alice/{s}/", "/accounts/login/", "/accounts/signup/", "/"]
    public.append(f"/u/alice/{s}/artifacts/{world['artifact'].pk}/")

    too_wide = _wide_pages(browser, live_server.url, "alice", owner)
    too_wide += _wide_pages(browser, live_server.url, "mentor", mentor)
    too_wide += _wide_pages(browser, live_server.url, "invitee", [invitation])
    too_wide += _wide_pages(browser, live_server.url, None, [*public, invitation])

    assert too_wide == [], "pages wider than a 360 px screen:\n" + "\n".join(too_wide)


def test_the_provenance_table_stacks_its_rows_on_a_phone(browser: Browser, live_server, world):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/u/alice/{world['project'].slug}/")
        table = page.get_by_test_id("provenance")
        # The sha256 and the importer are on the screen, not behind a sideways scroll.
        for label in ("sha256", "Importer"):
            cell = table.locator(f"td[data-label={label}]").first
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, label
        assert table.locator("thead").is_hidden()
    finally:
        context.close()


def test_charts_keep_a_readable_plot_on_a_phone(browser: Browser, live_server, world):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "alice")
        page.goto(f"{live_server.url}/projects/{world['project'].slug}/results/")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_load_state("networkidle")
        plots = page.locator(".nsewdrag")
        plots.first.wait_for()
        heights = page.evaluate(
            "Array.from(document.querySelectorAll('.nsewdrag'))"
            ".map(e => Math.round(e.getBoundingClientRect().height))"
        )
        # The plot, not its legend, keeps most of the figure: at least 200 px high.
        assert heights and min(heights) >= 200, heights
    finally:
        context.close()


# Every element of a table inside the screen, and what a phone shows before each cell's value.
TABLE_ON_SCREEN = """
(table) => {
  const limit = document.documentElement.clientWidth;
  const outside = Array.from(table.querySelectorAll("*")).filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && (box.left < -0.5 || box.right > limit + 0.5);
  }).map((el) => el.tagName + " " + el.textContent.trim().slice(0, 30));
  const cells = Array.from(table.querySelectorAll("tbody td"));
  const unlabelled = cells.filter((td) => {
    const before = getComputedStyle(td, "::before").content;
    return !td.dataset.label || before !== JSON.stringify(td.dataset.label);
  }).map((td) => td.outerHTML.slice(0, 80));
  const wrap = table.parentElement;
  return {
    outside,
    unlabelled,
    cells: cells.length,
    display: getComputedStyle(table).display,
    cellDisplay: cells.length ? getComputedStyle(cells[0]).display : "",
    innerScroll: wrap.scrollWidth - wrap.clientWidth,
  };
}
"""


@pytest.mark.parametrize("width", [360, 1280])
def test_the_runs_compare_and_stats_tables_stack_their_rows_on_a_phone(
    browser: Browser, live_server, world, width
):
    project, shared = world["project"], world["shared"]
    runs = ",".join(str(pk) for pk in project.runs.values_list("pk", flat=True)[:4])
    shared_runs = ",".join(str(pk) for pk in shared.runs.values_list("pk", flat=True)[:4])
    reader = f"/projects/{shared.pk}~{shared.slug}"
    pages = [
        ("alice", f"/projects/{project.slug}/runs/", "runs-table"),
        ("alice", f"/projects/{project.slug}/compare/?runs={runs}", "compare-table"),
        ("mentor", f"{reader}/runs/", "runs-table"),
        ("mentor", f"{reader}/compare/?runs={shared_runs}", "compare-table"),
        ("mentor", f"{reader}/stats/", "stats-table"),
    ]
    for user, path, table_id in pages:
        context = browser.new_context(viewport={"width": width, "height": 740})
        page = context.new_page()
        try:
            log_in(page, live_server.url, user)
            page.goto(f"{live_server.url}{path}")
            table = page.get_by_test_id(table_id)
            seen = table.evaluate(TABLE_ON_SCREEN)
            assert seen["cells"] >= 8, (path, seen)
            head_links = table.locator("thead a")
            if width == 360:
                # A card per row: every value on the screen with its label beside it.
                assert seen["display"] == "block" and seen["cellDisplay"] == "grid", (path, seen)
                assert seen["outside"] == [], (path, seen["outside"])
                assert seen["unlabelled"] == [], (path, seen["unlabelled"])
                assert seen["innerScroll"] <= 0, (path, seen)
                # What the reader gets starts with the label (generated content counts).
                cell = table.locator("tbody td").first
                label = cell.get_attribute("data-label") or "?"
                expect(cell).to_have_accessible_name(re.compile(rf"^{re.escape(label)}\b"))
                # The head's links (sorting, the runs) are still there to press; a head
                # without links says nothing the labels do not.
                if head_links.count():
                    expect(head_links.first).to_be_visible()
                else:
                    expect(table.locator("thead")).to_be_hidden()
            else:
                assert seen["display"] == "table" and seen["cellDisplay"] == "table-cell", path
                expect(table.locator("thead")).to_be_visible()
        finally:
            context.close()
