"""Connections: what the services accept and refuse, and credentials that are never read back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mlsync import services
from mlsync.credentials import unseal
from mlsync.models import CredentialKind, TrackerConnection
from mlsync.sources import SourceError, source_for
from tests.factories import create_project


@pytest.fixture
def project(alice):
    return create_project(owner=alice, title="Vision")


def _server(project, **extra):
    fields = {"kind": "server", "server_url": "http://127.0.0.1:5000/", "experiments": "cifar"}
    return services.connection_create(project=project, **{**fields, **extra})


def test_a_server_connection_keeps_its_address_experiments_and_schedule(project):
    conn = _server(project, experiments="cifar, 7\nmnist\ncifar")
    conn.refresh_from_db()
    assert conn.server_url == "http://127.0.0.1:5000"
    assert conn.experiments == ["cifar", "7", "mnist"]
    assert conn.schedule_minutes == 15 and conn.enabled
    assert conn.label == "http://127.0.0.1:5000"
    assert not conn.has_credentials and bytes(conn.credentials) == b""


def test_a_token_is_stored_encrypted_and_never_in_clear(project):
    conn = _server(project, token="tok-SECRET-123")
    conn.refresh_from_db()
    assert conn.credential_kind == CredentialKind.TOKEN
    assert b"tok-SECRET-123" not in bytes(conn.credentials)
    assert unseal(conn.credentials) == {"token": "tok-SECRET-123"}
    assert "tok-SECRET-123" not in repr(TrackerConnection.objects.values().get(pk=conn.pk))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"server_url": "ftp://example.com"}, "server_url"),
        ({"server_url": "not a url"}, "server_url"),
        ({"server_url": "http://bob:pw@example.com"}, "server_url"),
        ({"experiments": " , "}, "experiments"),
        ({"token": "t", "username": "u", "password": "p"}, "token"),
        ({"username": "u"}, "password"),
        ({"schedule_minutes": 1}, "schedule_minutes"),
        ({"kind": "ftp"}, "kind"),
    ],
)
def test_bad_input_is_refused_by_field_and_saves_nothing(project, extra, field):
    with pytest.raises(ValidationError) as caught:
        _server(project, **extra)
    assert field in caught.value.message_dict
    assert not TrackerConnection.objects.exists()


def test_credentials_can_be_kept_replaced_or_removed(project):
    conn = _server(project, username="ann", password="pw-1")
    common = {"kind": "server", "server_url": conn.server_url, "experiments": ["cifar"]}
    services.connection_update(connection=conn, credentials="keep", **common)
    conn.refresh_from_db()
    assert unseal(conn.credentials) == {"username": "ann", "password": "pw-1"}
    services.connection_update(connection=conn, credentials="replace", token="t-2", **common)
    conn.refresh_from_db()
    assert (conn.credential_kind, unseal(conn.credentials)) == ("token", {"token": "t-2"})
    with pytest.raises(ValidationError):
        services.connection_update(connection=conn, credentials="replace", **common)
    services.connection_update(connection=conn, credentials="remove", **common)
    conn.refresh_from_db()
    assert (conn.credential_kind, bytes(conn.credentials)) == ("", b"")


def test_a_new_address_starts_the_next_sync_from_the_beginning(project):
    conn = _server(project)
    TrackerConnection.objects.filter(pk=conn.pk).update(cursor=123, consecutive_failures=4)
    conn.refresh_from_db()
    services.connection_update(
        connection=conn, kind="server", server_url="http://127.0.0.1:6000", experiments="cifar"
    )
    conn.refresh_from_db()
    assert (conn.cursor, conn.consecutive_failures) == (None, 0)


def test_credentials_sealed_under_another_key_fail_with_a_reason(project, settings):
    conn = _server(project, token="t-1")
    settings.CAIRN_SYNC_KEY = "a-different-key"
    with pytest.raises(SourceError, match="can no longer be read"):
        source_for(conn)


def test_deleting_a_connection_keeps_nothing_of_it(project):
    conn = _server(project)
    services.connection_delete(connection=conn)
    assert not TrackerConnection.objects.exists()
