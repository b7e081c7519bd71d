import datetime
import pytest
from playwright.sync_api import Page
from mlsync.models import SyncRun
from mlsync.services import connection_create
from projects.services import project_create
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shots(page: Page, live_server, alice, tmp_path):
    (tmp_path / "mlruns" / "0").mkdir(parents=True)
    (tmp_path / "mlruns" / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    project = project_create(owner=alice, content={"title": "Ticket router"})
    c1 = connection_create(project=project, kind="server", server_url="https://mlflow.internal.example.com/very/long/path/to/tracking", experiments=["churn-experiment-2026", "12"], token="abc")
    c2 = connection_create(project=project, kind="store", store_path=str(tmp_path / "mlruns"), experiments="Default")
    start = datetime.datetime(2026, 11, 28, 11, 0, tzinfo=datetime.UTC)
    ok = SyncRun.objects.create(connection=c1, state="succeeded", trigger="schedule", started_at=start, finished_at=start + datetime.timedelta(seconds=4), runs_added=12, runs_updated=3, runs_deleted=1, points_added=120000, history_requests=40, errors=[{"run": "0a1b2c3d4e5f", "message": "A metric key was too long; skipped."}])
    SyncRun.objects.create(connection=c2, state="failed", trigger="sync now", started_at=start, finished_at=start, reason="The MLflow database /srv/mlflow.db stayed locked by another program for 5 s; the next sync tries again.")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Log in')")
    base = f"{live_server.url}/projects/{project.slug}/sync/"
    for name, url in [("list", base), ("edit", f"{base}{c1.pk}/edit/"), ("history", f"{base}{c1.pk}/"), ("report", f"{base}reports/{ok.pk}/"), ("project", f"{live_server.url}/projects/{project.slug}/")]:
        page.goto(url)
        page.screenshot(path=f"/tmp/mlsyncui/shot-{name}.png", full_page=True)
    page.goto(base)
    page.get_by_label("An MLflow store on the workers").check()
    page.screenshot(path="/tmp/mlsyncui/shot-list-store.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base)
    page.screenshot(path="/tmp/mlsyncui/shot-list-wide.png", full_page=True)
