"""A visitor's path through a public portfolio in a real browser, signed out: the profile, a
project from it, and its charts drawn under the CSP."""

from __future__ import annotations

import io
import re

import PIL.Image
import pytest
from playwright.sync_api import Page, expect

from projects.artifacts import artifact_store
from tests.factories import create_project, import_results, long_csv, save_revision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_opens_a_profile_follows_a_project_and_sees_its_charts(
    page: Page, live_server, alice, csp_violations
):
    alice.profile.is_public = True
    alice.profile.headline = "ML engineer, churn and fraud"
    alice.profile.save()
    project = create_project(owner=alice, title="Churn model", visibility="public")
    import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    ("base", "val/auc"): [round(0.6 + i / 200, 3) for i in range(40)],
                    ("wide", "val/auc"): [round(0.62 + i / 180, 3) for i in range(40)],
                }
            ),
        ),
    )
    save_revision(project, success_metric="val/auc", success_target=0.8)
    create_project(owner=alice, title="Secret side project", visibility="private")

    page.goto(f"{live_server.url}/u/{alice.profile.slug}/")
    expect(page.get_by_text("ML engineer, churn and fraud")).to_be_visible()
    expect(page.get_by_text("Secret side project")).to_have_count(0)
    page.get_by_role("link", name="Churn model").first.click()

    expect(page).to_have_url(re.compile(rf"/u/{alice.profile.slug}/{project.slug}/$"))
    expect(page.get_by_text("runs.csv").first).to_be_visible()
    # Charts load as they scroll into view.
    page.locator("[data-testid=chart-slot]").first.scroll_into_view_if_needed()
    card = page.locator("[data-testid=chart-card]").first
    expect(card.locator(".main-svg").first).to_be_visible()
    expect(card.locator(".scatterlayer .trace")).not_to_have_count(0)

    # The next visitor gets the page from the cache, whole: it still draws under the CSP.
    page.reload()
    page.locator(".public-chart").first.scroll_into_view_if_needed()
    expect(page.locator("[data-testid=chart-card] .main-svg").first).to_be_visible()
    assert csp_violations == []


def test_a_visitor_sees_a_public_runs_plot_and_reads_its_json(
    page: Page, live_server, alice, csp_violations
):
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(owner=alice, title="Churn model", visibility="public")
    import_results(project, ("runs.csv", long_csv({("base", "val/auc"): [0.6, 0.7, 0.8]})))
    run = project.runs.get()
    plot = io.BytesIO()
    PIL.Image.new("RGB", (400, 300), "steelblue").save(plot, format="PNG")
    plot.seek(0)
    artifact_store(run=run, path="plots/roc.png", stream=plot)
    artifact_store(run=run, path="metrics.json", stream=io.BytesIO(b'{"auc": 0.8, "n": 1200}'))

    page.goto(f"{live_server.url}/u/{alice.profile.slug}/{project.slug}/")
    artifacts = page.locator("[data-testid=public-artifacts]")
    expect(artifacts.get_by_text("Run base")).to_be_visible()
    thumb = artifacts.locator("img.artifact-thumb")
    thumb.scroll_into_view_if_needed()
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 400", arg=thumb.element_handle()
    )
    artifacts.get_by_role("link", name="metrics.json").click()

    expect(page.locator("[data-testid=artifact-text]")).to_contain_text('"auc": 0.8')
    page.get_by_role("link", name=re.compile("Churn model")).first.click()
    expect(page).to_have_url(re.compile(rf"/u/{alice.profile.slug}/{project.slug}/#artifacts$"))
    assert csp_violations == []
