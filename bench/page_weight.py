"""Page weight: bytes transferred (all, and JavaScript) and DOMContentLoaded in Chromium, for the
public profile, a public project and the plan page of the demo engineer, cold (empty browser
cache) and warm (the same page again), with each line's target and verdict.

The site runs as deployed: `collectstatic` with the production storage (hashed names, gzip and
brotli), gunicorn with 2 workers on a free port, WhiteNoise serving the static files; the data
is `seed_demo`'s, in a database of the bench's own (a fresh SQLite file, or with --postgres a
database named bench_page_weight on that server, created and dropped by the bench). Each figure
is the median of --repeat loads, each cold one in a fresh browser context with its cache cleared.
"drawn ms" is when every chart of the page was drawn, its lazy cards scrolled into view at once
(charts.js fetches plotly.js when the first figure arrives, after DOMContentLoaded).

Targets (issue 16): the public profile at most 100 KB of JavaScript; any chart page at most
600 KB in all; DOMContentLoaded of a first view at most 500 ms on localhost.

Usage: python bench/page_weight.py [--repeat 3] [--postgres URL] [--port N]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _child import manage, serve  # noqa: E402  (bench/ is on the path of a bench script)

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.page_weight import Weight, load  # noqa: E402

DATABASE = "bench_page_weight"
PROFILE_JS_KB = 100
CHART_PAGE_KB = 600
DCL_MS = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_postgres(url: str) -> str:
    """A fresh database named DATABASE on the server of url; its URL."""
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return f"{base}/{DATABASE}"


def drop_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(f"{url.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def prepare(env: dict[str, str]) -> str:
    """Migrate, seed the demo, collect the static files; the slug of a public project with runs."""
    for command in (["migrate", "--noinput"], ["seed_demo"], ["collectstatic", "--noinput"]):
        manage(env, *command)
    code = (
        "from projects.models import Project;"
        "p = Project.objects.filter(owner__username='demo', visibility='public',"
        " runs__isnull=False).distinct().order_by('pk').first();"
        "print(p.slug)"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def measure(base: str, pages: list[tuple[str, str, bool, bool]], repeat: int) -> dict:
    """{(page, 'cold'|'warm'): [Weight, ...]} over repeat fresh browser contexts."""
    from playwright.sync_api import sync_playwright

    out: dict[tuple[str, str], list[Weight]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            for name, path, signed_in, charts in pages:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                if signed_in:
                    page.goto(f"{base}/accounts/login/")
                    page.fill("#id_username", "demo")
                    page.fill("#id_password", "demo")
                    page.click("button:has-text('Log in')")
                    page.wait_for_url("**/plan/**")
                    page.goto("about:blank")
                    # The sign-in page cached the shared files: a first view starts without them.
                    context.new_cdp_session(page).send("Network.clearBrowserCache")
                out.setdefault((name, "cold"), []).append(load(page, base + path, charts=charts))
                out.setdefault((name, "warm"), []).append(load(page, base + path, charts=charts))
                context.close()
        browser.close()
    return out


def verdicts(name: str, when: str, total_kb: float, js_kb: float, dcl: float) -> tuple[str, bool]:
    """The line's targets as text, and whether all are met."""
    checks = [(f"DOMContentLoaded <= {DCL_MS} ms", dcl <= DCL_MS)]
    if name == "public profile":
        checks.append((f"JS <= {PROFILE_JS_KB} KB", js_kb <= PROFILE_JS_KB))
    else:
        checks.append((f"total <= {CHART_PAGE_KB} KB", total_kb <= CHART_PAGE_KB))
    return ", ".join(text for text, _ in checks), all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (its server is used)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="cairn-bench-weight-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "page_weight_settings",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
        "CAIRN_VAR_DIR": var,
        "STATIC_ROOT": str(Path(var) / "static"),
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    database = "SQLite (a fresh file)"
    if args.postgres:
        env["DATABASE_URL"] = own_postgres(args.postgres)
        database = f"PostgreSQL, database {DATABASE}"
    port = args.port or free_port()
    try:
        project = prepare(env)
        server = serve(env, port)  # bench/_child.py
        try:
            pages = [
                ("public profile", "/u/demo/", False, False),
                ("public project", f"/u/demo/{project}/", False, True),
                ("plan page", "/plan/", True, True),
            ]
            results = measure(f"http://127.0.0.1:{port}", pages, args.repeat)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    finally:
        if args.postgres:
            drop_postgres(env["DATABASE_URL"])

    print(f"Page weight in Chromium, gunicorn on 127.0.0.1:{port}, {database}; "
          f"median of {args.repeat}, charts scrolled into view and drawn")  # fmt: skip
    print(f"{'page':<16} {'view':<5} {'total KB':>9} {'JS KB':>7} {'requests':>8} "
          f"{'DCL ms':>7} {'drawn ms':>8}  target -> verdict")  # fmt: skip
    for (name, when), weights in results.items():
        total = statistics.median(w.total for w in weights) / 1000
        js = statistics.median(w.javascript for w in weights) / 1000
        dcl = statistics.median(w.dom_content_loaded_ms for w in weights)
        requests = statistics.median(w.requests for w in weights)
        drawn = (
            "-"
            if weights[0].drawn_ms is None
            else f"{statistics.median(w.drawn_ms for w in weights):.0f}"
        )
        target, ok = verdicts(name, when, total, js, dcl)
        print(f"{name:<16} {when:<5} {total:>9.1f} {js:>7.1f} {requests:>8.0f} {dcl:>7.0f} "
              f"{drawn:>8}  {target} -> {'OK' if ok else 'MISSED'}")  # fmt: skip
    largest = results[("public project", "cold")][0].largest
    print("largest transfers of a public project's first view: "
          + ", ".join(f"{path} {size / 1000:.1f} KB" for path, size in largest))  # fmt: skip


if __name__ == "__main__":
    main()
