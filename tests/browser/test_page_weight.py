"""What a first visit costs, on the site as deployed (static files hashed, compressed, served by
WhiteNoise): a public profile sends at most 100 KB of JavaScript and no chart library, a chart
page at most 600 KB in all, and both reach DOMContentLoaded quickly. bench/page_weight.py prints
the same figures for more pages, cold and warm."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from milestones.services import milestone_set_status
from tests.browser import page_weight
from tests.factories import (
    CheckInFactory,
    GoalFactory,
    MilestoneFactory,
    create_project,
    import_results,
    long_csv,
    save_revision,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROFILE_JAVASCRIPT = 100_000
CHART_PAGE_TOTAL = 600_000
DOM_CONTENT_LOADED_MS = 500


@pytest.fixture
def portfolio(alice):
    profile = alice.profile
    profile.is_public = True
    profile.headline = "ML engineer, churn and fraud"
    profile.save()
    goal = GoalFactory(owner=alice, title="Ship churn", visibility="public")
    for n in range(6):
        milestone = MilestoneFactory(goal=goal, title=f"Step {n}")
        CheckInFactory(milestone=milestone)
        milestone_set_status(milestone=milestone, status="done")
    project = create_project(owner=alice, title="Churn model", visibility="public")
    import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    (run, metric): [round(0.5 + i / (400 + 50 * k), 4) for i in range(200)]
                    for k, run in enumerate(["base", "wide", "deep", "tuned"])
                    for metric in ["val/auc", "val/loss", "train/loss"]
                }
            ),
        ),
    )
    save_revision(project, success_metric="val/auc", success_target=0.8)
    return project


def test_a_public_profile_sends_little_javascript_and_no_chart_library(
    page: Page, deployed_server, portfolio, csp_violations
):
    url = f"{deployed_server.url}/u/{portfolio.owner.profile.slug}/"

    weight = page_weight.load(page, url)

    expect(page.get_by_test_id("activity-calendar").locator("rect").first).to_be_attached()
    assert weight.javascript <= PROFILE_JAVASCRIPT, weight
    assert not any("plotly" in name for name, _ in weight.largest), weight
    assert weight.dom_content_loaded_ms <= DOM_CONTENT_LOADED_MS, weight
    assert csp_violations == []


def test_a_chart_page_draws_its_charts_within_600_kb(
    page: Page, deployed_server, portfolio, csp_violations
):
    responses = []
    page.on("response", lambda response: responses.append(response))
    url = f"{deployed_server.url}/u/{portfolio.owner.profile.slug}/{portfolio.slug}/"

    weight = page_weight.load(page, url, charts=True)

    expect(page.locator("[data-testid=chart] .scatterlayer .trace").first).to_be_attached()
    assert weight.total <= CHART_PAGE_TOTAL, weight
    assert weight.dom_content_loaded_ms <= DOM_CONTENT_LOADED_MS, weight
    # The partial bundle, under its hashed name, compressed and cached for a year at least.
    (plotly,) = [r for r in responses if "plotly-cartesian" in r.url]
    assert re.search(r"/static/vendor/plotly-cartesian\.min\.[0-9a-f]{12}\.js$", plotly.url)
    headers = plotly.all_headers()
    assert headers["content-encoding"] in {"br", "gzip"}
    max_age = int(re.search(r"max-age=(\d+)", headers["cache-control"]).group(1))
    assert max_age >= 365 * 24 * 3600
    assert csp_violations == []
