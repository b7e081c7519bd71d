"""Run the web server and a Celery worker together, for local use: Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portfolio.demo.seed import demo_logins


class Command(BaseCommand):
    help = "Serve Cairn locally with a Celery worker beside it (Ctrl-C stops both)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--concurrency", default="2", help="Celery worker processes")

    def handle(self, *args, host: str, port: str, concurrency: str, **options) -> None:
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError("serve is for local use; run gunicorn and celery in production.")
        # Beat runs inside the worker (-B) so that the daily digests go out locally too; in
        # production one `celery beat` runs beside the workers.
        schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
        schedule.parent.mkdir(parents=True, exist_ok=True)
        worker = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "celery", "-A", "portfolio", "worker",
             "--loglevel", "INFO", "--concurrency", concurrency,
             "--beat", "--schedule-filename", str(schedule)],
        )  # fmt: skip
        web = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "manage.py", "runserver", f"{host}:{port}"],
        )
        children = [web, worker]
        url = f"http://{host}:{port}/"

        def stop(*_args) -> None:
            # SIGTERM is a warm shutdown for Celery: the running task may finish first.
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            self._announce_when_ready(url, children)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            failed = next(c for c in children if c.poll() is not None)
            name = "web server" if failed is web else "Celery worker"
            self.stderr.write(f"The {name} stopped (exit {failed.returncode}); stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the web server and the worker…")
        finally:
            stop()

    def _announce_when_ready(self, url: str, children) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and all(c.poll() is None for c in children):
            try:
                urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - our own local URL
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Cairn is running at {url}\n"
                f"  {demo_logins()}\n"
                "  The worker runs Celery beat too: daily digests, stalled imports sent again.\n"
                "  Ctrl-C stops the server and the worker.\n"
            )
        )
