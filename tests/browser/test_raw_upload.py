"""One chosen file goes up as the request body itself, with a progress bar on the project
page; a refusal is said in the form, which stays as it was."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from projects.models import ExperimentImport
from projects.services import project_create
from tests.browser.session import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csv(rows: int) -> bytes:
    lines = b"".join(b"run-%d,loss,%d,%f\n" % (i % 4, i, 1 / (i + 1)) for i in range(rows))
    return b"run,metric,step,value\n" + lines


def _slow_uploads(page: Page, bytes_per_second: int) -> None:
    """Chromium's own network throttling, so the bar can be watched moving."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def test_one_file_goes_up_as_the_body_with_a_bar_that_moves(
    page: Page, live_server, alice, tmp_path, settings, csp_violations
):
    settings.CAIRN_MAX_UPLOAD_BYTES = 10_000_000
    project = project_create(owner=alice, content={"title": "Ticket router"})
    data = _csv(60_000)  # about 1.5 MB: a few seconds at the throttled speed
    path = tmp_path / "sweep.csv"
    path.write_bytes(data)
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    _slow_uploads(page, 400_000)

    page.set_input_files("#id_files", str(path))
    with page.expect_request(re.compile(r"/imports/\?name=sweep\.csv")) as sent:
        page.get_by_role("button", name="Import").click()
        bar = page.get_by_test_id("upload-bar")
        expect(bar).to_be_visible()
        expect(page.get_by_test_id("upload-status")).to_contain_text(re.compile(r"of 1\.\d MB"))
        # Part way: the bar has moved and is not full.
        page.wait_for_function(
            "() => { const b = document.querySelector('[data-testid=upload-bar]');"
            " return b && b.value > 0 && b.value < b.max; }"
        )
        expect(page.get_by_role("button", name="Import")).to_be_disabled()

    assert sent.value.headers["content-type"] == "application/octet-stream"
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"), timeout=30_000)
    imp = ExperimentImport.objects.get(project=project)
    assert imp.sha256 == hashlib.sha256(data).hexdigest()
    assert imp.original_name == "sweep.csv"

    # The same file again leads to the same import, and says so.
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.set_input_files("#id_files", str(path))
    page.get_by_role("button", name="Import").click()
    expect(page).to_have_url(f"{live_server.url}{imp.get_absolute_url()}", timeout=30_000)
    expect(page.get_by_text("“sweep.csv” was imported already")).to_be_visible()
    assert ExperimentImport.objects.count() == 1
    assert csp_violations == []


def test_a_refused_file_is_said_in_the_form_and_nothing_is_kept(
    page: Page, live_server, alice, tmp_path, settings
):
    settings.CAIRN_MAX_UPLOAD_BYTES = 1_000_000
    project = project_create(owner=alice, content={"title": "Ticket router"})
    path = tmp_path / "too-big.csv"
    path.write_bytes(_csv(120_000))  # about 3 MB: over the limit with the form's margin
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.locator("details.small summary").click()
    page.fill("input[name=run_name]", "kept as typed")

    page.set_input_files("#id_files", str(path))
    page.get_by_role("button", name="Import").click()

    error = page.get_by_test_id("upload-error")
    expect(error).to_contain_text("Cairn takes at most 1 MB in one upload")
    expect(page).to_have_url(f"{live_server.url}{project.get_absolute_url()}")
    expect(page.get_by_role("button", name="Import")).to_be_enabled()
    expect(page.locator("input[name=run_name]")).to_have_value("kept as typed")
    assert not ExperimentImport.objects.exists()
