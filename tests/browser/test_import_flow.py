"""Uploading results in a real browser, processed by a real worker process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from projects.services import project_create
from tests.factories import PASSWORD
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SAMPLES = Path(__file__).resolve().parents[2] / "projects" / "samples"


def test_it_uploads_a_file_and_watches_the_bar_reach_done(
    page: Page, live_server, alice, csp_violations
):
    project = project_create(owner=alice, content={"title": "Ticket router"})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")

    with celery_worker():
        page.set_input_files("#id_files", str(SAMPLES / "long.csv"))
        page.get_by_role("button", name="Import").click()
        expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
        # Polled by htmx until the worker is done; the page itself never reloads.
        page.evaluate("window.__noReload = 'still here'")
        state = page.get_by_test_id("import-state")
        expect(state).to_have_text("Succeeded", timeout=60_000)
    expect(page.get_by_test_id("import-status")).to_contain_text("6 runs")
    expect(page.locator("#import-status progress")).to_have_attribute("value", "100")
    assert page.evaluate("window.__noReload") == "still here"
    # The rest of the page followed the import's end in the same answer: the provenance names
    # the format read, and the runs list is there, exactly as a reload shows them.
    live = {
        part: page.get_by_test_id(part).inner_text()
        for part in ("import-provenance", "import-runs")
    }
    assert "not known yet" not in live["import-provenance"]
    assert "baseline-seed1" in live["import-runs"]
    page.reload()
    expect(page.get_by_test_id("import-state")).to_have_text("Succeeded")
    assert {part: page.get_by_test_id(part).inner_text() for part in live} == live

    page.get_by_role("link", name="See the runs").click()
    expect(page.get_by_test_id("run-row")).to_have_count(6)
    page.get_by_role("link", name="baseline-seed1").click()
    expect(page.locator(".chart .main-svg").first).to_be_visible()
    assert csp_violations == []
