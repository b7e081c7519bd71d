"""Sync from MLflow in a real browser: follow a store the real MLflow client wrote, press
"Sync now", and read the report and the run's provenance (the eager Celery of the test settings
runs the sync inside the live server)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from projects.services import project_create
from tests.factories import PASSWORD
from tests.mlflow_env import mlflow_env, run_in_mlflow_env

__all__ = ["mlflow_env"]  # the fixture: MLflow's own environment, made once
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS = 40
WRITE = f"""
import json, mlflow
mlflow.set_experiment("ticket-router")
with mlflow.start_run(run_name="baseline") as run:
    mlflow.log_params({{"lr": "0.01", "epochs": "{STEPS}"}})
    for step in range({STEPS}):
        mlflow.log_metrics({{"loss": 1 / (step + 1), "val/accuracy": step / {STEPS}}}, step=step)
print(json.dumps({{"run_id": run.info.run_id}}))
"""


@pytest.fixture
def store(mlflow_env, tmp_path):
    folder = tmp_path / "mlruns"
    done = run_in_mlflow_env(
        WRITE, {"MLFLOW_TRACKING_URI": f"file://{folder}", "MLFLOW_ALLOW_FILE_STORE": "true"}
    )
    return folder, json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


def test_it_follows_a_store_and_shows_the_sync_report(
    page: Page, live_server, alice, store, csp_violations
):
    folder, run_id = store
    project = project_create(owner=alice, content={"title": "Ticket router"})
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone

    page.get_by_test_id("sync-link").click()
    page.get_by_label("An MLflow store on the workers' machine").check()
    expect(page.get_by_label("Server address")).to_be_hidden()  # CSS alone, no script
    page.get_by_label("Store path").fill(str(folder))
    page.get_by_label("Experiments to follow").fill("ticket-router")
    page.get_by_role("button", name="Add connection").click()
    card = page.get_by_test_id("connection")
    expect(card).to_contain_text(str(folder))
    expect(card).to_contain_text("Not synced yet.")
    page.wait_for_load_state()  # the stylesheet applied, before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.evaluate("window.__noReload = 'still here'")
    card.get_by_role("button", name="Sync now").click()
    expect(card.get_by_test_id("sync-state")).to_have_text("Succeeded", timeout=30_000)
    expect(card).to_contain_text(f"1 run added, 0 updated, {2 * STEPS} points")
    assert page.evaluate("window.__noReload") == "still here"  # htmx swapped the card

    card.get_by_test_id("report-link").click()
    expect(page).to_have_url(re.compile(r"/sync/reports/\d+/$"))
    expect(page.get_by_test_id("sync-state")).to_have_text("Succeeded")
    expect(page.get_by_test_id("runs-added")).to_have_text("1")
    expect(page.get_by_test_id("points-added")).to_have_text(str(2 * STEPS))
    expect(page.get_by_test_id("sync-timings")).to_contain_text("took")
    page.wait_for_load_state()
    expect(page.get_by_test_id("history-reads")).to_have_text("2")  # one file a metric
    page.screenshot(path=str(folder.parent / "report.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="See the runs").click()
    page.get_by_role("link", name="baseline").click()
    provenance = page.get_by_test_id("logged-live")
    expect(provenance).to_contain_text(f"MLflow run {run_id}")
    expect(provenance).to_contain_text(str(folder))
    assert csp_violations == []
