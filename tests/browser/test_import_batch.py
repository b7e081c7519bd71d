"""Several files uploaded at once: the project page shows one live row per import, without a
reload, and stops asking once every import has ended."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portfolio.celery import app
from projects.services import project_create
from tests.browser.session import log_in
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SAMPLES = Path(__file__).resolve().parents[2] / "projects" / "samples"


@contextmanager
def tasks_wait_on_a_queue() -> Iterator[str]:
    """Tasks go to a queue no worker reads yet (not run in the request, as the tests do by
    default), so the page shows them queued until a worker starts on that queue."""
    saved = (app.conf.task_always_eager, app.conf.task_default_queue)
    queue = f"cairn-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved


def test_several_uploads_show_live_progress_rows_that_stop_polling_when_done(
    page: Page, live_server, alice, csp_violations
):
    project = project_create(owner=alice, content={"title": "Ticket router"})
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/imports/progress/" in r.url else None)

    files = [str(SAMPLES / name) for name in ("long.csv", "metrics.jsonl", "mlflow_runs.csv")]
    with tasks_wait_on_a_queue() as queue:
        page.set_input_files("#id_files", files)
        page.get_by_role("button", name="Import").click()
        expect(page).to_have_url(re.compile(r"/projects/[^/]+/#results$"))
        summary = page.get_by_test_id("imports-summary")
        expect(summary).to_have_text("0 of 3 imports done · 0%")
        rows = page.get_by_test_id("import-row")
        expect(rows).to_have_count(3)
        for name in ("long.csv", "metrics.jsonl", "mlflow_runs.csv"):
            row = rows.filter(has_text=name)
            expect(row.get_by_role("link", name=name)).to_have_attribute(
                "href", re.compile(r"/imports/\d+/$")
            )
            expect(row.locator("progress")).to_have_attribute("max", "100")
            expect(row.get_by_test_id("import-row-state")).to_have_text("Queued")

        # From here on, nothing may reload the page: the marker lives only as long as the document.
        page.evaluate("window.__noReload = 'still here'")
        with celery_worker(queue=queue):
            expect(summary).to_have_text("3 of 3 imports done · 100%", timeout=90_000)
    states = page.get_by_test_id("import-row-state")
    expect(states).to_have_text(["Succeeded"] * 3)
    expect(rows.filter(has_text="long.csv")).to_contain_text("6 runs")
    expect(page.locator("#import-progress progress.thin")).to_have_count(0)
    assert page.evaluate("window.__noReload") == "still here"
    assert polls, "the list never asked for its progress"

    # Polling has stopped: no request for the list in the next three seconds.
    asked = len(polls)
    page.wait_for_timeout(3000)
    assert len(polls) == asked

    # Each row leads to its import's own page.
    rows.filter(has_text="metrics.jsonl").get_by_role("link", name="metrics.jsonl").click()
    expect(page.get_by_test_id("import-state")).to_have_text("Succeeded")
    assert csp_violations == []
