"""A runs-table export (one value per run and metric) uploaded through the page, processed by a
real worker: every chart on the Charts tab and on the public page shows a dot per run, never
empty axes; run names stay text in the SVG."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from projects.models import Visibility
from projects.services import project_create
from tests.factories import PASSWORD, save_revision
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EVIL = '<a href="https://evil.example/">x</a>'


def _wandb_runs_table() -> str:
    """A W&B runs-table export: seeds share a name, one summary value per metric."""
    lines = ['"Name","State","Created","Runtime","model","seed","lr","val/acc","train/loss"']
    n = 0
    for m, model in enumerate(["A1_no_pos_encoding", "B2_rope"]):
        for seed in (1, 2, 3):
            n += 1
            acc, loss = 0.7 + 0.05 * m + 0.01 * seed, 0.5 - 0.05 * m
            lines.append(
                f'"{model}","finished","2026-03-0{n}T10:00:00.000Z","3600","{model}",'
                f'"{seed}","0.001","{acc:.3f}","{loss:.3f}"'
            )
    evil = EVIL.replace('"', '""')
    lines.append(
        f'"{evil}","finished","2026-03-08T10:00:00.000Z","3600","C3","1","0.001","0.6","0.7"'
    )
    return "\n".join(lines) + "\n"


def _every_chart_has_points(page: Page, area: str, expected: int) -> None:
    # Charts load as they scroll into view: scroll to each slot, then each is a drawn card.
    slots = page.locator(f"{area} .chart-card")
    expect(slots).to_have_count(expected, timeout=20_000)
    for i in range(expected):
        # By script: a slot is replaced by its card while it scrolls in.
        page.evaluate(
            "([s, i]) => { const e = document.querySelectorAll(s)[i]; if (e) e.scrollIntoView(); }",
            [f"{area} .chart-card", i],
        )
        page.wait_for_timeout(150)
    cards = page.locator(f"{area} [data-testid=chart-card]")
    expect(cards).to_have_count(expected, timeout=20_000)
    for i in range(expected):
        card = cards.nth(i)
        card.scroll_into_view_if_needed()
        expect(card.locator(".main-svg").first).to_be_visible(timeout=20_000)
        points = card.locator(".scatterlayer .point")
        expect(points.first).to_be_visible()
        assert points.count() >= 7, card.inner_text()
        # Names are text: no link or styled span made from a run's name.
        assert card.locator("svg a").count() == 0


def test_a_runs_table_export_shows_a_dot_for_every_run_on_every_chart(
    page: Page, live_server, alice, csp_violations, tmp_path
):
    project = project_create(owner=alice, content={"title": "Position encodings"})
    export = tmp_path / "wandb_export_2026-03-08.csv"
    export.write_text(_wandb_runs_table())
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    with celery_worker():
        page.set_input_files("#id_files", str(export))
        page.get_by_role("button", name="Import").click()
        expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
        expect(page.get_by_test_id("import-state")).to_have_text("Succeeded", timeout=60_000)

    # The runs table: seeds told apart, the params that vary as columns.
    page.goto(f"{live_server.url}/projects/{project.slug}/runs/")
    expect(page.get_by_test_id("run-row")).to_have_count(7)
    expect(page.get_by_role("link", name="A1_no_pos_encoding · seed 3")).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/projects/{project.slug}/results/")
    _every_chart_has_points(page, "#chart-area", 2)
    page.screenshot(path=str(tmp_path / "charts-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _every_chart_has_points(page, "#chart-area", 2)
    page.screenshot(path=str(tmp_path / "charts-phone.png"), full_page=True)

    # Compare and statistics draw the same names as text, under the CSP.
    ids = ",".join(str(i) for i in project.runs.values_list("id", flat=True))
    for path in (f"compare/?runs={ids}", f"compare/?runs={ids}&chart=parcoords", "stats/"):
        page.goto(f"{live_server.url}/projects/{project.slug}/{path}")
        svg = page.locator(".main-svg").first
        expect(svg).to_be_visible()
        assert page.locator(".js-plotly-plot svg a").count() == 0

    # The public page: the same summary charts, never empty axes.
    alice.profile.is_public = True
    alice.profile.save()
    project.visibility = Visibility.PUBLIC
    project.save()
    save_revision(project, success_metric="val/acc", success_target=0.8)
    context = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    visitor = context.new_page()
    visitor.on(
        "console",
        lambda msg: (
            csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    visitor.goto(f"{live_server.url}/u/{alice.profile.slug}/{project.slug}/")
    _every_chart_has_points(visitor, ".chart-grid", 2)
    expect(visitor.get_by_role("cell", name="B2_rope · seed 3")).to_be_visible()
    visitor.screenshot(path=str(tmp_path / "public-phone.png"), full_page=True)
    context.close()
    assert csp_violations == []
