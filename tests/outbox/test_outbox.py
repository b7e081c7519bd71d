"""The outbox: tasks asked for while the broker is down wait with the write that asked for them,
go out once it is back, never twice, and their owner is told that background work is delayed.

The broker here is a Redis address where nothing listens (every send is refused, as when Redis
is stopped); tests/infra/test_outage.py stops and starts a real one with a real worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones.models import CheckIn
from outbox.models import OutboxTask
from outbox.services import CLAIM_TIMEOUT, outbox_drain, send_task_safely
from outbox.tasks import drain_outbox
from portfolio.celery import app
from portfolio.context_processors import REMEMBER, forget_background_work
from portfolio.tasks import send_email
from projects.models import ExperimentImport
from tests.factories import create_project

pytestmark = pytest.mark.django_db

BANNER = "Background work is delayed; it will go on by itself."
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _fresh_banner():
    forget_background_work()
    yield
    forget_background_work()


_SAVED: list[tuple] = []


@pytest.fixture
def broker_down():
    """Tasks are sent to a broker that refuses every connection."""
    _SAVED.append(
        (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    )
    app.conf.broker_url = DEAD_BROKER
    app.conf.broker_transport_options = {}
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        broker_back()
        _SAVED.clear()


def broker_back():
    """The test settings' broker again: tasks run here, as a worker would run them."""
    if _SAVED:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = _SAVED[
            -1
        ]


def _email(to: str = "mentor@example.com") -> dict:
    return {"subject": "Hello", "body": "From Cairn", "to": [to]}


def test_a_task_asked_for_while_the_broker_is_down_waits_and_the_write_is_kept(
    alice, milestone, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        CheckIn.objects.create(milestone=milestone, author=alice, progress=30)
        send_task_safely(send_email, kwargs=_email(), owner=alice)

    assert CheckIn.objects.filter(milestone=milestone).count() == 1
    waiting = OutboxTask.objects.get()
    assert (waiting.task, waiting.kwargs, waiting.owner) == (send_email.name, _email(), alice)
    assert waiting.attempts == 1
    assert "Connection refused" in waiting.last_error
    assert waiting.claimed_at is None  # free for the next drain
    assert mail.outbox == []


def test_a_write_rolled_back_leaves_no_task(alice, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_task_safely(send_email, kwargs=_email(), owner=alice)
        raise RuntimeError("the write failed")

    assert callbacks == []
    assert not OutboxTask.objects.exists()
    assert mail.outbox == []


def test_what_waited_is_sent_once_the_broker_is_back(
    alice, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_task_safely(send_email, kwargs=_email("one@example.com"), owner=alice)
        send_task_safely(send_email, kwargs=_email("two@example.com"), owner=alice)
    assert OutboxTask.objects.count() == 2

    assert outbox_drain() == 0  # still down: nothing lost, each attempt counted
    assert list(OutboxTask.objects.values_list("attempts", flat=True)) == [2, 2]

    broker_back()
    assert outbox_drain() == 2

    assert [m.to for m in mail.outbox] == [["one@example.com"], ["two@example.com"]]
    assert not OutboxTask.objects.exists()
    assert outbox_drain() == 0  # and never twice


def test_a_task_another_process_is_sending_is_left_to_it(alice, broker_down):
    row = OutboxTask.objects.create(
        task=send_email.name, kwargs=_email(), owner=alice, claimed_by="other"
    )
    OutboxTask.objects.filter(pk=row.pk).update(claimed_at=row.created_at)
    broker_back()

    assert outbox_drain() == 0
    assert mail.outbox == []


def test_a_task_whose_sender_died_is_sent_by_the_next_drain(alice, clock, broker_down):
    row = OutboxTask.objects.create(
        task=send_email.name, kwargs=_email(), owner=alice, claimed_by="dead"
    )
    OutboxTask.objects.filter(pk=row.pk).update(claimed_at=row.created_at)
    clock.shift(CLAIM_TIMEOUT + timedelta(seconds=1))
    broker_back()

    assert outbox_drain() == 1
    assert len(mail.outbox) == 1


def test_the_drain_runs_once_a_minute_from_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["drain-outbox"]

    assert entry["schedule"] == 60.0
    assert entry["task"] == drain_outbox.name


def test_one_preview_render_waits_per_page_version_however_many_visitors_ask(
    client, alice, broker_down, django_capture_on_commit_callbacks
):
    alice.profile.is_public = True
    alice.profile.save()
    url = reverse("public:preview", args=[alice.profile.slug])

    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.get(url).status_code for _ in range(5)]

    assert answers == [302] * 5  # the generic image meanwhile
    waiting = OutboxTask.objects.get()
    assert waiting.task == "portfolio.tasks.render_preview"
    assert waiting.kwargs == {"owner_id": alice.pk, "project_id": None}


def test_a_password_reset_asked_for_while_the_broker_is_down_is_emailed_once_it_is_back(
    client, alice, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": alice.email})

    assert response.status_code == 302
    assert mail.outbox == []
    broker_back()
    outbox_drain()
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert mail.outbox[0].subject == "Reset your Cairn password"


# --- The banner ------------------------------------------------------------------------------


def _plan(client):
    return client.get(reverse("milestones:plan"), follow=True).text


def test_the_owner_is_told_when_their_background_work_waits_over_a_minute(
    client, alice, bob, clock
):
    OutboxTask.objects.create(task=send_email.name, kwargs=_email(), owner=alice)
    client.force_login(alice)
    assert BANNER not in _plan(client)  # a moment's wait is nothing to mention

    clock.shift(timedelta(minutes=1, seconds=1))
    assert BANNER in _plan(client)
    client.force_login(bob)
    assert BANNER not in _plan(client)  # only its owner is told
    client.logout()
    assert BANNER not in client.get(reverse("home")).text


def test_the_banner_goes_once_the_work_went_out(client, alice, clock):
    OutboxTask.objects.create(task=send_email.name, kwargs=_email(), owner=alice)
    clock.shift(timedelta(minutes=2))
    client.force_login(alice)
    assert BANNER in _plan(client)

    outbox_drain()
    clock.shift(REMEMBER)

    assert BANNER not in _plan(client)
    assert len(mail.outbox) == 1


def test_the_owner_is_told_when_an_import_stays_queued(client, alice, clock):
    project = create_project(owner=alice)
    ExperimentImport.objects.create(
        project=project, uploaded_by=alice, original_name="a.csv", sha256="0" * 64, size=10
    )
    client.force_login(alice)
    clock.shift(timedelta(minutes=2))

    assert BANNER in client.get(reverse("projects:list")).text


def test_the_banner_costs_one_query_and_none_while_remembered(client, alice):
    client.force_login(alice)
    url = reverse("projects:list")
    client.get(url)
    forget_background_work()
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as second:
        client.get(url)

    assert len(first) == len(second) + 1
