"""An ambiguous file stops at the preview; the owner changes a column's role and imports."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from projects.services import project_create
from tests.factories import PASSWORD
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Every date could be day-month or month-day: Cairn cannot tell, so it asks.
AMBIGUOUS = (
    "run,metric,step,value,timestamp,lr\n"
    "small,loss,0,1.0,04-08-2024 10:00,0.1\n"
    "small,loss,1,0.9,05-08-2024 10:00,0.1\n"
    "large,loss,0,1.2,04-08-2024 11:00,0.01\n"
    "large,loss,1,0.7,05-08-2024 11:00,0.01\n"
)


def test_the_preview_opens_a_role_is_changed_and_the_run_has_that_param(
    page: Page, live_server, alice, csp_violations, tmp_path
):
    project = project_create(owner=alice, content={"title": "Learning rates"})
    path = tmp_path / "lr_sweep.csv"
    path.write_text(AMBIGUOUS)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")

    with celery_worker():
        page.set_input_files("#id_files", str(path))
        page.get_by_role("button", name="Import").click()
        expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
        expect(page.get_by_test_id("import-state")).to_have_text("Needs a check", timeout=60_000)
        page.get_by_test_id("open-preview").click()
        expect(page).to_have_url(re.compile(r"/imports/\d+/preview/$"))
        expect(page.get_by_test_id("preview-uncertain")).to_contain_text("timestamp")
        expect(page.get_by_test_id("preview-rows")).to_contain_text("04-08-2024 10:00")
        lr = page.get_by_test_id("role-row").filter(has_text="lr")
        expect(lr.locator("select")).to_have_value("ignore")
        lr.locator("select").select_option("param")
        page.select_option("#date_order", "dmy")
        # Nothing overflows sideways but the rows' own scrolling table.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        page.screenshot(path=str(tmp_path / "preview-phone.png"), full_page=True)
        page.get_by_test_id("preview-import").click()
        expect(page.get_by_test_id("import-state")).to_have_text("Succeeded", timeout=60_000)
    expect(page.get_by_test_id("read-with")).to_contain_text("column “lr” as param")
    page.get_by_role("link", name="See the runs").click()
    expect(page.get_by_test_id("run-row")).to_have_count(2)
    expect(page.get_by_test_id("run-row").filter(has_text="small")).to_contain_text("0.1")
    expect(page.get_by_test_id("run-row").filter(has_text="large")).to_contain_text("0.01")
    assert csp_violations == []
