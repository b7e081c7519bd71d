"""Project record figures: the history page of a project with 200 revisions, and diffs.

Prints SQL queries and median server time of the history page (on SQLite and PostgreSQL), the
median time of a word-level diff of two 20 KB sections (the diff function alone and the whole
diff page), through the whole Django stack in process (no network).

Usage: python bench/project_history.py [--runs 40] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    *("model", "data", "training", "validation", "loss", "accuracy", "feature", "pipeline"),
    *("drift", "latency", "batch", "gradient", "epoch", "baseline", "experiment", "metric"),
    *("deployment", "monitoring", "rollback", "seed", "split", "label", "inference"),
    *("serving", "embedding", "token", "cluster", "precision", "recall", "threshold", "cost"),
]


def _text(rng: random.Random, size: int) -> str:
    words, length = [], 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
        if rng.random() < 0.06:
            words.append("\n\n")
    return " ".join(words)[:size]


def _edit(rng: random.Random, text: str, fraction: float) -> str:
    """Change about `fraction` of the words: replace, insert or delete."""
    words = text.split(" ")
    for _ in range(int(len(words) * fraction)):
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.4:
            words[i] = rng.choice(WORDS)
        elif op < 0.7:
            words.insert(i, rng.choice(WORDS))
        elif len(words) > 1:
            del words[i]
    return " ".join(words)


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(runs: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from projects.diff import diff_text
    from projects.models import Project
    from projects.services import project_create, project_save
    from tests.factories import UserFactory

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        rng = random.Random(7)
        user = UserFactory(username="bench")
        project = project_create(
            owner=user,
            content={"title": "Bench project", "problem": _text(rng, 2000)},
            change_note="first",
        )
        keys = ["problem", "data_sources", "preprocessing", "model", "results", "deployment"]
        for n in range(2, 201):
            key = keys[n % len(keys)]
            project_save(
                project=project,
                author=user,
                base_number=n - 1,
                content={key: _text(rng, 1500), "summary": f"after {n} edits"},
                change_note=f"Edit {n}: rework {key}",
            )
        project = Project.objects.get(pk=project.pk)
        assert project.current_revision.number == 200

        # Two 20 KB sections, the second with about 10% of its words changed.
        a20 = _text(rng, 20_000)
        b20 = _edit(rng, a20, 0.10)
        project_save(project=project, author=user, base_number=200, content={"results": a20})
        project_save(project=project, author=user, base_number=201, content={"results": b20})

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        history = f"/projects/{project.slug}/history/"
        diff_page = f"/projects/{project.slug}/diff/?a=201&b=202"
        assert client.get(history).status_code == 200
        queries: list[str] = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(history)
        rows = response.content.count(b'data-testid="revision-row"')
        history_times = _timed(lambda: client.get(history), runs)
        diff_fn_times = _timed(lambda: diff_text(a20, b20), max(10, runs // 2))
        diff_page_times = _timed(lambda: client.get(diff_page), max(10, runs // 2))
        return {
            "vendor": connection.vendor,
            "history_rows": rows,
            "history_queries": len(queries),
            "history_median_ms": round(statistics.median(history_times), 1),
            "diff_fn_median_ms": round(statistics.median(diff_fn_times), 1),
            "diff_page_median_ms": round(statistics.median(diff_page_times), 1),
            "section_bytes": (len(a20.encode()), len(b20.encode())),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--postgres", default="postgres://postgres:postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL; 'none' to skip",
    )  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.runs)))
        return
    backends = [("SQLite", None)]
    if args.postgres != "none":
        backends.append(("PostgreSQL", args.postgres))
    print(f"Project with 200 revisions; diff of two 20 KB sections ({args.runs} requests)")
    print(
        f"{'database':<11} {'rows':>5} {'queries':>8} {'history':>10} "
        f"{'diff()':>9} {'diff page':>10}"
    )
    for name, url in backends:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portfolio.settings.base",
            "CAIRN_VAR_DIR": tempfile.mkdtemp(prefix="cairn-bench-"),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DATABASE_URL", None)
        if url:
            env["DATABASE_URL"] = url
        out = subprocess.run(
            [sys.executable, __file__, "--runs", str(args.runs), "--child"],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            print(f"{name:<11} failed:\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:<11} {r['history_rows']:>5} {r['history_queries']:>8} "
            f"{r['history_median_ms']:>7} ms {r['diff_fn_median_ms']:>6} ms "
            f"{r['diff_page_median_ms']:>7} ms"
        )


if __name__ == "__main__":
    main()
