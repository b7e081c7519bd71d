"""The owner's "Sync from MLflow" pages: add, edit, remove and sync connections, read reports."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from mlsync.models import SyncRun, SyncState, TrackerConnection
from mlsync.services import connection_create
from tests.factories import create_project

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-token-value-0123456789"
PASSWORD_TYPED = "hunter2-but-longer"


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Churn model")


@pytest.fixture
def store(tmp_path):
    """The smallest folder MLflow would call a store: the Default experiment's meta.yaml."""
    (tmp_path / "mlruns" / "0").mkdir(parents=True)
    (tmp_path / "mlruns" / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    return tmp_path / "mlruns"


@pytest.fixture
def connection(project):
    return connection_create(
        project=project,
        kind="server",
        server_url="https://mlflow.example.com",
        experiments=["churn", "7"],
        token=TOKEN,
    )


def _page(project) -> str:
    return reverse("mlsync:connections", args=[project.slug])


def _server_form(**fields) -> dict:
    return {
        "kind": "server",
        "server_url": "https://mlflow.example.com/",
        "experiments": "churn\n7",
        "schedule_minutes": 15,
        "enabled": "on",
        **fields,
    }


def test_the_project_page_links_to_the_sync_page(alice_client, project):
    page = alice_client.get(project.get_absolute_url())
    assert _page(project) in page.text


def test_it_adds_a_server_connection_and_never_shows_the_token(alice_client, project):
    response = alice_client.post(_page(project), _server_form(token=TOKEN))

    assert response.status_code == 302 and response["Location"] == _page(project)
    connection = TrackerConnection.objects.get(project=project)
    assert connection.server_url == "https://mlflow.example.com"
    assert connection.experiments == ["churn", "7"]
    assert connection.credential_kind == "token"
    assert TOKEN.encode() not in bytes(connection.credentials)  # sealed at rest
    page = alice_client.get(_page(project))
    assert "token set" in page.text and "https://mlflow.example.com" in page.text
    edit = alice_client.get(reverse("mlsync:connection-edit", args=[project.slug, connection.pk]))
    assert "Saved: a token" in edit.text
    assert 'value="https://mlflow.example.com"' in edit.text and "churn\n7</textarea>" in edit.text
    assert TOKEN not in page.text and TOKEN not in edit.text


def test_it_adds_a_store_connection(alice_client, project, store):
    form = {"kind": "store", "store_path": str(store), "experiments": "Default"}
    response = alice_client.post(_page(project), {**form, "schedule_minutes": 30})

    assert response.status_code == 302
    connection = TrackerConnection.objects.get(project=project)
    assert (connection.kind, connection.store_path) == ("store", str(store))
    assert connection.credential_kind == ""
    assert str(store) in alice_client.get(_page(project)).text


def test_a_refused_form_keeps_what_was_typed_but_not_the_secrets(alice_client, project):
    typed = _server_form(
        server_url="ftp://mlflow.example.com", username="ada", password=PASSWORD_TYPED
    )

    response = alice_client.post(_page(project), typed)

    assert response.status_code == 200
    assert not TrackerConnection.objects.exists()
    assert "Give the tracking server&#x27;s address" in response.text
    assert 'value="ftp://mlflow.example.com"' in response.text
    assert 'value="ada"' in response.text and "churn\n7" in response.text
    assert PASSWORD_TYPED not in response.text
    assert "did not keep the token or password you typed" in response.text


def test_production_refuses_a_store_outside_the_allowed_folders(
    alice_client, project, store, settings, tmp_path_factory
):
    settings.IS_PRODUCTION = True
    settings.CAIRN_SYNC_STORE_ROOTS = [str(tmp_path_factory.mktemp("elsewhere"))]

    response = alice_client.post(
        _page(project), {"kind": "store", "store_path": str(store), "experiments": "Default"}
    )

    assert response.status_code == 200
    assert "outside the folders MLflow stores may be read from" in response.text
    assert not TrackerConnection.objects.exists()


def test_credentials_are_kept_replaced_or_removed(alice_client, project, connection):
    url = reverse("mlsync:connection-edit", args=[project.slug, connection.pk])

    alice_client.post(url, _server_form(credentials="keep", schedule_minutes=60))
    connection.refresh_from_db()
    assert (connection.credential_kind, connection.schedule_minutes) == ("token", 60)

    alice_client.post(url, _server_form(credentials="replace", username="ada", password="pw-2"))
    connection.refresh_from_db()
    assert connection.credential_kind == "basic"
    page = alice_client.get(_page(project)).text
    assert "user name and password set" in page and "pw-2" not in page

    alice_client.post(url, _server_form(credentials="remove"))
    connection.refresh_from_db()
    assert (connection.credential_kind, bytes(connection.credentials)) == ("", b"")
    assert "None saved" in alice_client.get(url).text


def test_replacing_without_new_credentials_says_so_and_changes_nothing(
    alice_client, project, connection
):
    url = reverse("mlsync:connection-edit", args=[project.slug, connection.pk])

    response = alice_client.post(url, _server_form(credentials="replace", experiments="other"))

    assert response.status_code == 200
    assert "Give the new token" in response.text
    connection.refresh_from_db()
    assert connection.experiments == ["churn", "7"] and connection.credential_kind == "token"


def test_sync_now_queues_one_sync_and_answers_htmx_with_the_card(
    alice_client, project, connection, htmx_headers, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the worker is not what is tested here
    url = reverse("mlsync:sync-now", args=[project.slug, connection.pk])

    card = alice_client.post(url, headers=htmx_headers)

    sync = SyncRun.objects.get(connection=connection)
    assert card.status_code == 200
    assert f'id="connection-{connection.pk}"' in card.text
    assert "Waiting for a worker" in card.text and 'hx-trigger="every 1s"' in card.text
    again = alice_client.post(url)  # no JavaScript: on to the report
    assert again.status_code == 302
    assert again["Location"] == reverse("mlsync:report", args=[project.slug, sync.pk])
    assert SyncRun.objects.filter(connection=connection).count() == 1


def _finished(connection, **fields) -> SyncRun:
    start = datetime.datetime(2026, 11, 28, 11, 0, tzinfo=datetime.UTC)
    return SyncRun.objects.create(
        connection=connection,
        trigger="sync now",
        started_at=start,
        finished_at=start + datetime.timedelta(seconds=12.5),
        **fields,
    )


def test_the_report_shows_what_a_sync_did(alice_client, project, connection, htmx_headers):
    sync = _finished(
        connection,
        state=SyncState.SUCCEEDED,
        runs_added=3,
        runs_updated=1,
        runs_deleted=1,
        points_added=3000,
        errors=[{"run": "abc123", "message": "A metric key was too long; skipped."}],
    )
    url = reverse("mlsync:report", args=[project.slug, sync.pk])

    page = alice_client.get(url)
    fragment = alice_client.get(url, headers=htmx_headers)

    assert "3 runs added, 1 updated, 1 marked deleted, 3,000 points added" in page.text
    assert "A metric key was too long" in page.text and "took 12.5 s" in page.text
    assert fragment.status_code == 286  # done: htmx stops polling
    assert 'id="sync-status"' in fragment.text and "<html" not in fragment.text


def test_a_failed_sync_says_why_and_a_running_one_keeps_polling(
    alice_client, project, connection, htmx_headers
):
    failed = _finished(
        connection, state=SyncState.FAILED, reason="The server refused the token (401)."
    )
    running = SyncRun.objects.create(connection=connection, state=SyncState.RUNNING)

    page = alice_client.get(reverse("mlsync:report", args=[project.slug, failed.pk]))
    polled = alice_client.get(
        reverse("mlsync:report", args=[project.slug, running.pk]), headers=htmx_headers
    )

    assert "The server refused the token (401)." in page.text and "Try again" in page.text
    assert polled.status_code == 200 and 'hx-trigger="every 1s"' in polled.text


def test_the_history_lists_every_sync_in_a_few_queries(
    alice_client, project, connection, django_assert_max_num_queries
):
    for n in range(30):
        _finished(connection, state=SyncState.SUCCEEDED, runs_added=n)
    url = reverse("mlsync:connection", args=[project.slug, connection.pk])

    with django_assert_max_num_queries(12):
        page = alice_client.get(url)

    assert page.text.count('data-testid="sync-row"') == 25
    assert "Page 1 of 2" in page.text


def test_the_connections_page_reads_each_latest_sync_in_one_query(
    alice_client, project, connection, django_assert_max_num_queries
):
    for n in range(4):
        other = connection_create(
            project=project, kind="server", server_url=f"https://m{n}.example.com", experiments="a"
        )
        _finished(other, state=SyncState.SUCCEEDED, runs_added=n, points_added=10 * n)

    with django_assert_max_num_queries(12):
        page = alice_client.get(_page(project))

    assert page.text.count('data-testid="connection"') == 5
    assert "30 points" in page.text and "Not synced yet." in page.text


def test_deleting_a_connection_keeps_its_runs(alice_client, project, connection):
    url = reverse("mlsync:connection-delete", args=[project.slug, connection.pk])
    assert "Stop following" in alice_client.get(url).text

    response = alice_client.post(url)

    assert response.status_code == 302
    assert not TrackerConnection.objects.filter(pk=connection.pk).exists()


def test_another_project_cannot_reach_a_connection_or_report_by_id(bob_client, bob, connection):
    own = create_project(owner=bob, title="Bob's project")
    sync = _finished(connection, state=SyncState.SUCCEEDED)

    for name, pk in [
        ("mlsync:connection", connection.pk),
        ("mlsync:connection-edit", connection.pk),
        ("mlsync:connection-delete", connection.pk),
        ("mlsync:report", sync.pk),
    ]:
        assert bob_client.get(reverse(name, args=[own.slug, pk])).status_code == 404
    assert (
        bob_client.post(reverse("mlsync:sync-now", args=[own.slug, connection.pk])).status_code
        == 404
    )
    assert (
        bob_client.post(
            reverse("mlsync:connection-delete", args=[own.slug, connection.pk])
        ).status_code
        == 404
    )
    assert TrackerConnection.objects.filter(pk=connection.pk).exists()
    assert not SyncRun.objects.exclude(pk=sync.pk).exists()


def test_a_polled_card_stops_polling_once_its_sync_ended(
    alice_client, project, connection, htmx_headers
):
    sync = SyncRun.objects.create(connection=connection, state=SyncState.RUNNING)
    url = reverse("mlsync:connection", args=[project.slug, connection.pk])

    running = alice_client.get(url, headers=htmx_headers)
    SyncRun.objects.filter(pk=sync.pk).update(state=SyncState.SUCCEEDED, points_added=7)
    ended = alice_client.get(url, headers=htmx_headers)

    assert running.status_code == 200 and "Reading…" in running.text
    assert ended.status_code == 286 and "7 points" in ended.text
    assert "<html" not in ended.text and 'hx-trigger="every 1s"' not in ended.text
