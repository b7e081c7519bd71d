"""The Celery application: configured from Django settings (CELERY_*), tasks found per app."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.base")

app = Celery("cairn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Create the folders of the file-system broker, which kombu expects to exist."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _prepare_worker(**_kwargs) -> None:
    ensure_broker_folders()


@worker_ready.connect
def _requeue_stalled_imports(**_kwargs) -> None:
    # A worker machine that died mid-import never gave its message back; once a worker is up
    # again, imports whose heartbeat stopped (or that waited for a broker) are sent again.
    from projects.imports import import_requeue_stalled

    import_requeue_stalled()


@worker_ready.connect
def _drain_outbox(**_kwargs) -> None:
    # Tasks kept in the outbox while the broker was down (emails, notifications) go out now;
    # Celery beat drains it once a minute too.
    from outbox.services import outbox_drain

    outbox_drain()
