"""Redis outage under load: 200 concurrent clients on a public page, the plan page and a check-in
form while the Redis that is the cache and the Celery broker is stopped.

gunicorn (2 workers x 8 threads, SQLite) serves Cairn with REDIS_URL pointing at a Redis of the
bench's own on a free port. The cache is filled while Redis runs, then Redis is stopped and each
page gets ROUNDS requests from each of 200 concurrent clients; then the same with Redis up, for
comparison. Printed: server errors (5xx or a failed connection; target 0), latency p50/p95, and
the check-ins saved and notification tasks kept in the outbox while Redis was down.

Usage: python bench/outage_bench.py [--clients 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _child import free_port, verdict  # bench/ is on the path of a bench script

ROOT = Path(__file__).resolve().parent.parent
SLUG = "outage-engineer"
CHECKINS = "__import__('milestones.models').models.CheckIn.objects.count()"
WAITING = "__import__('outbox.models').models.OutboxTask.objects.count()"


def seed() -> None:
    """A public engineer with a public project, a plan shared with a mentor who wants emails at
    once; prints the owner's session key and the milestone id for the check-in form."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
    from portfolio.models import NotifyChoice
    from tests.factories import GoalFactory, MilestoneFactory, UserFactory, create_project

    owner, mentor = UserFactory(username="owner"), UserFactory(username="mentor")
    owner.profile.slug, owner.profile.is_public = SLUG, True
    owner.profile.save()
    mentor.profile.email_notifications = NotifyChoice.IMMEDIATE
    mentor.profile.save()
    _, token = mentorship_invite(engineer=owner)
    mentorship_accept(token=token, mentor=mentor)
    for n in range(5):
        create_project(owner=owner, title=f"Project {n}", visibility="public")
    goal = GoalFactory(owner=owner, year=2026, quarter=4, visibility="mentors")
    milestone = MilestoneFactory(goal=goal, title="Label 2,000 tickets")
    for n in range(5):
        MilestoneFactory(goal=goal, title=f"Milestone {n}")
    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.create()
    print(f"{session.session_key} {milestone.pk}")


def _redis(binary: str, port: int, folder: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


class Site:
    def __init__(self, base: str, session: str) -> None:
        self.base = base
        self.session = session
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        # A CSRF cookie and token for the check-in posts (one pair serves every client).
        self.opener.open(f"{base}/accounts/login/", timeout=30).read()
        self.csrf = next(c.value for c in jar if c.name == "csrftoken")

    def request(self, path: str, *, owner: bool, data: dict | None = None) -> tuple[int, float]:
        """(status, seconds) of one request; status 0 when the connection failed."""
        cookies = f"csrftoken={self.csrf}" + (f"; sessionid={self.session}" if owner else "")
        headers = {"Cookie": cookies, "Referer": self.base + path}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf}).encode()
        req = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        start = time.perf_counter()
        try:
            with _no_redirects.open(req, timeout=120) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        return status, time.perf_counter() - start


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_no_redirects = urllib.request.build_opener(_NoRedirect())


def hammer(site: Site, path: str, *, clients: int, rounds: int, owner: bool, data=None) -> dict:
    def one_client(_n: int) -> list[tuple[int, float]]:
        return [site.request(path, owner=owner, data=data) for _ in range(rounds)]

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [r for batch in pool.map(one_client, range(clients)) for r in batch]
    times = sorted(seconds * 1000 for _, seconds in results)
    statuses = [status for status, _ in results]
    return {
        "requests": len(results),
        "errors": sum(1 for s in statuses if s == 0 or s >= 500),
        "ok": sum(1 for s in statuses if 200 <= s < 400),
        "p50": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
    }


def _count(env: dict, expression: str) -> int:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", f"print({expression})"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")

    var = tempfile.mkdtemp(prefix="cairn-bench-outage-")
    redis_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
        "CAIRN_VAR_DIR": var,
        "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("DATABASE_URL", None)
    redis = _redis(binary, redis_port, var)
    server = None
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        seeded = subprocess.run(
            [*manage, "shell", "-c", "import outage_bench; outage_bench.seed()"],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        session, milestone = seeded[-2], seeded[-1]
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portfolio.wsgi", "--workers", "2",
             "--threads", "8", "--backlog", "2048", "--bind", f"127.0.0.1:{web_port}",
             "--log-level", "warning", "--timeout", "120"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{web_port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.2)
        site = Site(base, session)
        pages = [
            ("public profile", f"/u/{SLUG}/", False, None),
            ("plan page", "/plan/2026/q4/", True, None),
            ("check-in (POST)", f"/plan/milestones/{milestone}/checkins/new/", True,
             {"progress": 40, "confidence": 3, "note": "Under load"}),
        ]  # fmt: skip
        for _name, path, owner, data in pages:  # warm up, and fill the cache
            site.request(path, owner=owner, data=data)
        before = _count(env, CHECKINS)

        print(
            f"{args.clients} concurrent clients x {args.rounds} requests per page; gunicorn "
            "2 workers x 8 threads, SQLite (target: 0 server errors with Redis stopped)"
        )
        header = ("redis", "page", "requests", "errors", "p50 ms", "p95 ms", "target", "")
        print("{:<8} {:<16} {:>8} {:>7} {:>8} {:>8}   {:<9} {}".format(*header))
        figures = {}
        redis.terminate()
        redis.wait(timeout=20)
        for state in ("stopped", "running"):
            if state == "running":
                redis = _redis(binary, redis_port, var)
            for name, path, owner, data in pages:
                r = hammer(site, path, clients=args.clients, rounds=args.rounds, owner=owner,
                           data=data)  # fmt: skip
                figures[(state, name)] = r
                print(
                    f"{state:<8} {name:<16} {r['requests']:>8} {r['errors']:>7} "
                    f"{r['p50']:>8.0f} {r['p95']:>8.0f}   0 errors  {verdict(r['errors'] == 0)}"
                )
            if state == "stopped":
                saved = _count(env, CHECKINS)
                waiting = _count(env, WAITING)
                print(
                    f"         while stopped: {saved - before} check-ins saved, {waiting} "
                    "notification tasks kept in the outbox for the worker"
                )
        errors = sum(r["errors"] for (state, _), r in figures.items() if state == "stopped")
        print(f"server errors with Redis stopped: {errors}   target 0   {verdict(errors == 0)}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if redis.poll() is None:
            redis.terminate()
            redis.wait(timeout=20)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
