"""Metric charts in a real browser: lazy plotly charts, the mode bar, zooming, under the CSP."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, create_project, import_results, long_csv, save_revision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page).to_have_url(re.compile(r"/plan/"))


@pytest.fixture
def project(alice):
    project = create_project(owner=alice, title="Fraud model")
    wave = [round(1 + math.sin(i / 300) / 10, 6) for i in range(5_000)]
    wave[2_500] = 3.0  # a spike that must survive downsampling
    import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    ("base", "loss"): [round(1 / (i + 1), 4) for i in range(50)],
                    ("base", "acc"): [round(0.5 + i / 100, 3) for i in range(50)],
                    ("wide", "loss"): [round(0.9 / (i + 1), 4) for i in range(50)],
                    ("wide", "acc"): [round(0.55 + i / 100, 3) for i in range(50)],
                    ("long", "wave"): wave,
                }
            ),
        ),
    )
    save_revision(project, success_metric="acc", success_target=0.9, success_direction="higher")
    return project


def test_the_results_page_draws_the_chosen_runs_with_the_target_line(
    page: Page, live_server, project, csp_violations
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/projects/{project.slug}/results/")

    main = page.locator("#chart-area > [data-testid=chart-card]").first
    expect(main.locator(".main-svg").first).to_be_visible()
    expect(main.locator(".chart-title")).to_have_text("acc")
    # Two runs and the dashed target line.
    expect(main.locator(".scatterlayer .trace")).to_have_count(3)
    expect(main.locator(".target-key")).to_have_text("target ≥ 0.9")
    # The mode bar is there with its four buttons, styled by plotly.css (absolutely placed).
    buttons = main.locator(".modebar-btn")
    expect(buttons).to_have_count(4)
    assert main.locator(".modebar").evaluate("e => getComputedStyle(e).position") == "absolute"
    expect(main.locator(".modebar-btn[data-title='Download plot as a PNG']")).to_have_count(1)

    # Smoothing re-renders the charts through htmx: each run gains a faint raw line.
    page.fill("#id_smooth", "0.6")
    page.locator("#id_smooth").dispatch_event("change")
    main = page.locator("#chart-area > [data-testid=chart-card]").first
    expect(main.locator(".scatterlayer .trace")).to_have_count(5)
    expect(page).to_have_url(re.compile(r"smooth=0.6"))
    assert csp_violations == []


def test_zooming_fetches_the_window_and_double_click_brings_back_the_overview(
    page: Page, live_server, project, csp_violations
):
    log_in(page, live_server)
    run = project.runs.get(name="long")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")

    card = page.locator("[data-testid=chart-card]").first
    expect(card.locator(".main-svg").first).to_be_visible()
    note = card.locator("[data-chart-note]")
    expect(note).to_have_text("long: downsampled from 5,000 points")

    chart = card.locator(".chart")
    chart.evaluate("gd => Plotly.relayout(gd, {'xaxis.range[0]': 2400, 'xaxis.range[1]': 2600})")
    expect(note).to_have_text("zoomed: every point shown")
    points = chart.evaluate("gd => gd.data[0].x.length")
    assert points == 203  # steps 2399..2601: every point of the window and one on each side
    assert chart.evaluate("gd => Math.max(...gd.data[0].y)") == 3.0

    chart.evaluate("gd => Plotly.relayout(gd, {'xaxis.autorange': true})")
    expect(note).to_have_text("long: downsampled from 5,000 points")
    assert chart.evaluate("gd => gd.data[0].x.length") < 2_001
    assert csp_violations == []
