"""A chart open in the browser while training code logs through the MLflow API: new points
appear without a reload, and the chart says finished when the run ends."""

from __future__ import annotations

import re
import time

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric
from playwright.sync_api import Page, expect

from portfolio.api.tokens import token_create
from tests.factories import PASSWORD
from tracking.models import LiveRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAST_X = """id => {
  const chart = document.getElementById(id);
  if (!chart || !chart.data || !chart.data.length) return null;
  const xs = chart.data[0].x;
  return xs[xs.length - 1];
}"""


def _wait_for_last_x(page: Page, chart_id: str, step: int, seconds: float = 5) -> None:
    """Until the chart's first trace ends at step (polled from here: the CSP forbids eval)."""
    deadline = time.monotonic() + seconds
    while page.evaluate(LAST_X, chart_id) != step:
        assert time.monotonic() < deadline, (page.evaluate(LAST_X, chart_id), step)
        page.wait_for_timeout(100)


def _batch(steps) -> list[Metric]:
    now = int(time.time() * 1000)
    return [Metric("loss", 1.0 / (s + 1), now + s, s) for s in steps]


def _running(live_server, alice, monkeypatch, experiment: str) -> tuple[MlflowClient, str]:
    """The official client with alice's token, and a run of hers that logged loss at steps 0-4."""
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token_create(user=alice, name="gpu box")[1])
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    client = MlflowClient(tracking_uri=f"{live_server.url}/mlflow")
    experiment_id = client.create_experiment(experiment)
    run_id = client.create_run(experiment_id, run_name="resnet").info.run_id
    client.log_batch(run_id, metrics=_batch(range(5)))
    return client, run_id


def _log_in(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page).to_have_url(re.compile(r"/plan/"))


def test_a_run_logging_through_the_api_draws_itself_live_then_says_finished(
    page: Page, live_server, alice, monkeypatch, csp_violations
):
    client, run_id = _running(live_server, alice, monkeypatch, "Live demo")
    run = LiveRun.objects.select_related("run__project").get(uuid=run_id).run

    _log_in(page, live_server)
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    card = page.locator("[data-testid=chart-card]").first
    badge = card.locator("[data-testid=live-state]")
    expect(badge).to_have_text("live")
    chart_id = card.locator("[data-testid=chart]").get_attribute("id")
    _wait_for_last_x(page, chart_id, 4)
    page.evaluate("window.__notReloaded = true")

    client.log_batch(run_id, metrics=_batch(range(5, 10)))
    _wait_for_last_x(page, chart_id, 9)
    client.log_metric(run_id, "loss", 0.05, step=10)
    _wait_for_last_x(page, chart_id, 10)
    assert page.evaluate("window.__notReloaded") is True

    client.set_terminated(run_id)
    expect(badge).to_have_text("finished", timeout=10_000)
    expect(badge).not_to_have_attribute("hx-get", re.compile("."))
    assert page.evaluate(LAST_X, chart_id) == 10
    assert page.evaluate("window.__notReloaded") is True
    assert csp_violations == []


def test_a_metric_first_logged_while_the_page_is_open_gets_its_chart(
    page: Page, live_server, alice, monkeypatch, csp_violations
):
    client, run_id = _running(live_server, alice, monkeypatch, "New metrics")
    run = LiveRun.objects.select_related("run__project").get(uuid=run_id).run

    _log_in(page, live_server)
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    expect(page.locator("[data-testid=chart-card]")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")

    # val_loss first logged at epoch 5, while the run page is open.
    client.log_metric(run_id, "val_loss", 0.9, step=5)
    card = page.locator("[data-testid=chart-card][data-chart-key=val_loss]")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card.locator("[data-testid=live-state]")).to_have_text("live")
    # One point is drawn as a summary (a dot); the next turns the card into a curve.
    client.log_metric(run_id, "val_loss", 0.8, step=6)
    chart = card.locator("[data-testid=chart]:not([data-summary])")
    expect(chart).to_have_count(1, timeout=10_000)
    _wait_for_last_x(page, chart.get_attribute("id"), 6)
    assert page.evaluate("window.__notReloaded") is True

    client.set_terminated(run_id)
    expect(card.locator("[data-testid=live-state]")).to_have_text("finished", timeout=10_000)
    expect(page.locator("[data-testid=live-keys]")).not_to_have_attribute(
        "hx-get", re.compile("."), timeout=10_000
    )
    expect(page.locator("[data-chart-key=val_loss]")).to_have_count(1)
    assert csp_violations == []


def test_the_public_page_and_the_charts_page_add_a_new_metrics_chart_by_themselves(
    page: Page, live_server, alice, monkeypatch, csp_violations
):
    alice.profile.is_public = True
    alice.profile.save()
    client, run_id = _running(live_server, alice, monkeypatch, "Shown live")
    project = LiveRun.objects.select_related("run__project").get(uuid=run_id).run.project
    project.visibility = "public"
    project.save(update_fields=["visibility"])

    page.goto(f"{live_server.url}/u/{alice.profile.slug}/{project.slug}/")
    expect(page.locator("[data-testid=chart-card]")).to_have_count(1)
    client.log_batch(
        run_id,
        metrics=[Metric("val_acc", 0.5 + s / 100, int(time.time() * 1000), s) for s in (5, 6)],
    )
    card = page.locator("[data-testid=chart-card][data-chart-key=val_acc]")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card.locator("[data-testid=chart]")).to_have_count(1)

    _log_in(page, live_server)
    page.goto(f"{live_server.url}/projects/{project.slug}/results/?metric=loss")
    expect(page.locator("#chart-others [data-chart-key=val_acc]")).to_have_count(1)
    client.log_metric(run_id, "lr", 0.01, step=7)
    expect(page.locator("#chart-others [data-chart-key=lr]")).to_have_count(1, timeout=10_000)
    assert csp_violations == []
