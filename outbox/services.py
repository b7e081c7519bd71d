"""Background tasks that survive a broker outage (a transactional outbox).

`send_task_safely` writes the task as a row in the caller's transaction; once that transaction
commits, the row is sent to the broker and deleted. When the broker is down (Redis stopped), the
send fails fast, the row stays, and the change the user made is saved all the same. A worker
sends what waits (`outbox_drain`): when it starts, once a minute from Celery beat, and soon after
any later send succeeds. Nothing is lost in between, not even a process that dies after its
commit: the row is there until the broker has the task.

A task may reach the broker twice (sent, then the process died before deleting its row), so
tasks sent this way must tolerate a second run, as Cairn's do (they check their rows first).
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta

from celery import current_app
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxTask

log = logging.getLogger(__name__)

# A claim this old belongs to a process that died between sending and deleting.
CLAIM_TIMEOUT = timedelta(minutes=5)
# How often one process may look for older waiting rows after a send succeeded.
RECHECK_SECONDS = 30
# Fail fast: one connection attempt, short timeouts, so a request never waits on a dead broker.
FAST_FAIL = {"max_retries": 0, "socket_connect_timeout": 2, "socket_timeout": 5}

_last_recheck = 0.0


def send_task_safely(
    task,
    *,
    args: Sequence = (),
    kwargs: dict | None = None,
    owner: AbstractBaseUser | int | None = None,
    key: str | None = None,
) -> OutboxTask:
    """Queue a Celery task after the current transaction commits, kept in the outbox until the
    broker takes it. owner: whose work it is; key: at most one waiting task per key."""
    name = task if isinstance(task, str) else task.name
    owner_id = owner if isinstance(owner, int) or owner is None else owner.pk
    fields = {"task": name, "args": list(args), "kwargs": kwargs or {}, "owner_id": owner_id}
    if key is None:
        row = OutboxTask.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                row, created = OutboxTask.objects.get_or_create(key=key, defaults=fields)
        except IntegrityError:  # another request made it at the same moment
            row, created = OutboxTask.objects.get(key=key), False
        if not created:
            return row  # the same work already waits
    transaction.on_commit(lambda: _send_one(row))
    return row


def _publish(rows: Iterable[OutboxTask]) -> Iterable[OutboxTask]:
    """Hand rows to the broker one by one over one fast-failing connection; yield each row
    the broker took. A broker error stops the sending and is raised."""
    app = current_app
    with app.connection_for_write(transport_options=FAST_FAIL) as connection:
        for row in rows:
            task = _task(app, row.task)
            if task is None:  # renamed or removed by a release: kept for a person to look at
                log.error("Outbox task %s names an unknown task %r", row.pk, row.task)
                OutboxTask.objects.filter(pk=row.pk).update(last_error="Unknown task")
                continue
            # Under CELERY_TASK_ALWAYS_EAGER (tests, debugging) this runs the task here.
            task.apply_async(args=row.args, kwargs=row.kwargs, connection=connection, retry=False)
            yield row


def _task(app, name: str):
    """The registered task called name, importing its module when this process has not yet."""
    if name not in app.tasks:
        try:
            importlib.import_module(name.rpartition(".")[0])
        except (ImportError, ValueError):
            return None
    return app.tasks.get(name)


def _claim(queryset, token: str) -> int:
    return queryset.update(claimed_by=token, claimed_at=timezone.now())


def _claimable() -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=timezone.now() - CLAIM_TIMEOUT)


def _release(token: str, error: Exception) -> None:
    OutboxTask.objects.filter(claimed_by=token).update(
        claimed_by="",
        claimed_at=None,
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:1000],
    )


def _send_one(row: OutboxTask) -> bool:
    """Send one row just committed, unless a drain took it first; True when the broker has it."""
    token = uuid.uuid4().hex
    if not _claim(OutboxTask.objects.filter(pk=row.pk, claimed_at__isnull=True), token):
        return False
    try:
        sent = list(_publish([row]))
    except Exception as error:
        _release(token, error)
        if current_app.conf.task_always_eager:
            raise  # the task itself failed, in this process: the caller should know
        log.warning("Broker unavailable; task %s waits in the outbox (%s)", row.task, error)
        return False
    if not sent:
        return False
    OutboxTask.objects.filter(pk=row.pk, claimed_by=token).delete()
    _drain_soon_if_waiting()
    return True


def _drain_soon_if_waiting() -> None:
    """The broker works again: have a worker send what waited, at most twice a minute."""
    global _last_recheck
    now = time.monotonic()
    if now - _last_recheck < RECHECK_SECONDS:
        return
    _last_recheck = now
    if OutboxTask.objects.filter(_claimable()).exists():
        from .tasks import drain_outbox

        try:
            with current_app.connection_for_write(transport_options=FAST_FAIL) as connection:
                drain_outbox.apply_async(connection=connection, retry=False)
        except Exception:
            log.warning("Broker unavailable; the outbox will be drained later", exc_info=True)


def outbox_drain(*, limit: int = 500) -> int:
    """Send the tasks waiting in the outbox, oldest first; stop at the first broker failure.
    Returns how many the broker took."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        # Concurrent drains (two workers starting) each take rows no other has locked.
        ids = list(
            OutboxTask.objects.filter(_claimable())
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        _claim(OutboxTask.objects.filter(pk__in=ids), token)
    sent = 0
    try:
        for row in _publish(OutboxTask.objects.filter(claimed_by=token).order_by("id")):
            OutboxTask.objects.filter(pk=row.pk, claimed_by=token).delete()
            sent += 1
    except Exception as error:
        _release(token, error)
        if current_app.conf.task_always_eager:
            raise
        log.warning("Broker unavailable; %s tasks wait in the outbox (%s)", len(ids) - sent, error)
    if sent:
        log.info("Sent %s waiting tasks from the outbox", sent)
    return sent
