"""A real task through a real worker process, on the broker the settings name.

The default run uses the file-system broker; the services run (REDIS_URL set) uses Redis.
"""

from __future__ import annotations

import email
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_password_reset_email_is_sent_by_a_worker_process(client, alice, tmp_path: Path):
    mail_dir = tmp_path / "mail"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with celery_worker(env=env):
        response = client.post(reverse("password_reset"), {"email": alice.email})
        assert response.status_code == 302

        files = wait_for(lambda: list(mail_dir.glob("*.log")), timeout=60)

    message = email.message_from_string(files[0].read_text())
    assert message["To"] == alice.email
    assert message["Subject"] == "Reset your Cairn password"
    assert "/accounts/reset/" in message.get_payload(decode=True).decode()


def test_the_worker_uses_the_configured_broker():
    expected = "redis" if settings.REDIS_URL else "filesystem"
    assert settings.CELERY_BROKER_URL.startswith(expected)


def test_an_upload_is_imported_by_a_worker_process_and_the_page_shows_it(client, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.models import ExperimentImport, ImportStatus, Run
    from projects.services import project_create

    project = project_create(owner=alice, content={"title": "Ticket router"})
    client.force_login(alice)
    sample = Path(__file__).resolve().parents[2] / "projects" / "samples" / "long.csv"
    with celery_worker():
        response = client.post(
            reverse("projects:import-upload", args=[project.slug]),
            {"files": SimpleUploadedFile("long.csv", sample.read_bytes())},
        )
        assert response.status_code == 302
        imp = ExperimentImport.objects.get(project=project)

        def finished():
            imp.refresh_from_db()
            return imp.is_done

        wait_for(finished, timeout=60)

    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    assert imp.detected_format == "long_csv"
    assert Run.objects.filter(project=project).count() == 6
    assert imp.points_count == 360
    page = client.get(imp.get_absolute_url())
    assert "Succeeded" in page.text
    assert "6 runs" in page.text


def _big_long_csv(path: Path, runs: int = 40, metrics: int = 10, steps: int = 5000) -> None:
    import numpy as np
    import pandas as pd

    n = runs * metrics * steps
    frame = pd.DataFrame(
        {
            "run": np.repeat([f"run-{i}" for i in range(runs)], metrics * steps),
            "metric": np.tile(np.repeat([f"m{j}" for j in range(metrics)], steps), runs),
            "step": np.tile(np.arange(steps), runs * metrics),
            "value": np.random.default_rng(1).random(n),
        }
    )
    frame.to_csv(path, index=False)


def test_a_worker_killed_mid_import_leaves_nothing_and_the_import_is_retried(
    client, alice, tmp_path: Path
):
    import os
    import signal
    import subprocess

    from projects import imports
    from projects.models import ExperimentImport, ImportStatus, MetricSeries, Run
    from projects.services import project_create

    project = project_create(owner=alice, content={"title": "Big sweep"})
    big = tmp_path / "sweep.csv"
    _big_long_csv(big)  # 2,000,000 points: long enough to be caught while running
    with celery_worker() as _queue:
        worker = celery_worker.process
        with big.open("rb") as stream:
            imp, _ = imports.import_create(
                project=project,
                user=alice,
                uploads=[imports.Upload("sweep.csv", stream, big.stat().st_size)],
            )

        def running():
            imp.refresh_from_db()
            return imp.status == ImportStatus.RUNNING

        wait_for(running, timeout=60, interval=0.02)
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert children, "the worker has a pool process"
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)
        # Killed mid-job: whatever it had written was in an open transaction, so nothing stays.
        assert Run.objects.filter(project=project).count() == 0
        assert MetricSeries.objects.filter(run__project=project).count() == 0

        def finished():
            imp.refresh_from_db()
            return imp.is_done

        wait_for(finished, timeout=120)

    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    assert imp.attempts >= 2  # the message came back after the kill and was processed again
    assert Run.objects.filter(project=project).count() == 40
    assert imp.points_count == 2_000_000
    assert ExperimentImport.objects.filter(project=project).count() == 1


# --- Imports that always end: a whole worker killed, a broker outage -----------------------------

# The sweep every 2 s and an import silent for 3 s is stalled: the test's minute in seconds.
FAST_SWEEP = {"CAIRN_IMPORT_SWEEP_SECONDS": "2", "CAIRN_IMPORT_STALE_SECONDS": "3"}


def _upload(project, user, path: Path):
    from projects import imports

    with path.open("rb") as stream:
        imp, created = imports.import_create(
            project=project,
            user=user,
            uploads=[imports.Upload(path.name, stream, path.stat().st_size)],
        )
    assert created
    return imp


def _finished(imp):
    def done():
        imp.refresh_from_db()
        return imp.is_done

    return done


def test_a_whole_worker_killed_and_restarted_at_once_finishes_the_import_unattended(
    alice, tmp_path: Path
):
    import time

    from projects.models import ImportStatus, MetricSeries, Run
    from projects.services import project_create
    from tests.worker import kill_whole_worker

    project = project_create(owner=alice, content={"title": "Killed sweep"})
    big = tmp_path / "sweep.csv"
    _big_long_csv(big, runs=20, steps=5000)  # 1,000,000 points
    with celery_worker(env=FAST_SWEEP, beat=True) as queue:
        imp = _upload(project, alice, big)

        def running():
            imp.refresh_from_db()
            return imp.status == ImportStatus.RUNNING

        wait_for(running, timeout=60, interval=0.02)
        killed = kill_whole_worker(celery_worker.process)
        assert len(killed) >= 2, "the main process and its pool process"
        # Nothing half-written stays, and the row still says running: its worker is gone.
        assert Run.objects.filter(project=project).count() == 0
        imp.refresh_from_db()
        assert imp.status == ImportStatus.RUNNING

        # A new worker at once, on the same queue; nobody opens a page.
        restarted = time.monotonic()
        with celery_worker(env=FAST_SWEEP, beat=True, queue=queue):
            wait_for(_finished(imp), timeout=90)
        took = time.monotonic() - restarted

    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    assert took < 60
    assert imp.attempts == 2
    assert Run.objects.filter(project=project).count() == 20
    assert imp.points_count == 1_000_000
    assert MetricSeries.objects.filter(run__project=project).count() == 200


@pytest.mark.skipif(
    not settings.REDIS_URL, reason="a Redis broker that goes down: only in the services run"
)
def test_an_upload_while_the_broker_is_down_is_imported_when_it_comes_back(alice, tmp_path: Path):
    import shutil

    from projects.models import ImportStatus, Run
    from projects.services import project_create
    from tests.worker import free_port, redis_server, use_broker

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    project = project_create(owner=alice, content={"title": "Outage"})
    sample = Path(__file__).resolve().parents[2] / "projects" / "samples" / "long.csv"
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    env = {**FAST_SWEEP, "CELERY_BROKER_URL": broker}
    with redis_server(port) as first, use_broker(broker), celery_worker(env=env, beat=True):
        first.terminate()
        first.wait(timeout=10)

        imp = _upload(project, alice, sample)  # the broker is down: the row waits
        imp.refresh_from_db()
        assert imp.status == ImportStatus.QUEUED

        with redis_server(port):  # back, on the same address; nobody opens a page
            wait_for(_finished(imp), timeout=60)

    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    assert Run.objects.filter(project=project).count() == 6
    assert imp.points_count == 360
