"""Project record figures: the history page of a project with 200 revisions, and diffs.

Prints SQL queries and median server time of the history page (on SQLite and PostgreSQL), the
median time of a word-level diff of two 20 KB sections (the diff function alone and the whole
diff page), through the whole Django stack in process (no network).

Targets (issue 3): the history page at most 8 queries and a median of at most 50 ms; the diff of
two 20 KB sections at most 100 ms (the function and the page).

Usage: python bench/project_history.py [--runs 40] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics

from _child import (  # bench/ is on the path of a bench script
    add_options,
    backends,
    counted_queries,
    figure,
    run_child,
    test_database,
    times_ms,
)

TARGET_HISTORY_MS = 50
TARGET_HISTORY_QUERIES = 8
TARGET_DIFF_MS = 100
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


def measure(runs: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from projects.diff import diff_text
    from projects.models import Project
    from projects.services import project_create, project_save
    from tests.factories import UserFactory

    with test_database():
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
        with counted_queries() as queries:
            response = client.get(history)
        rows = response.content.count(b'data-testid="revision-row"')
        history_times = times_ms(lambda: client.get(history), runs)
        diff_fn_times = times_ms(lambda: diff_text(a20, b20), max(10, runs // 2))
        diff_page_times = times_ms(lambda: client.get(diff_page), max(10, runs // 2))
        return {
            "vendor": connection.vendor,
            "history_rows": rows,
            "history_queries": len(queries),
            "history_median_ms": round(statistics.median(history_times), 1),
            "diff_fn_median_ms": round(statistics.median(diff_fn_times), 1),
            "diff_page_median_ms": round(statistics.median(diff_page_times), 1),
            "section_bytes": (len(a20.encode()), len(b20.encode())),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    add_options(parser, __file__)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.runs)))
        return
    print(f"Project with 200 revisions; diff of two 20 KB sections ({args.runs} requests)")
    for name, env in backends(args.postgres):
        r, error = run_child(__file__, ["--runs", str(args.runs)], env)
        if error:
            print(f"{name}: failed:\n{error}")
            continue
        print(
            figure(
                f"{name}: history page, {r['history_rows']} rows",
                f"{r['history_median_ms']} ms, {r['history_queries']} q",
                f"<= {TARGET_HISTORY_MS} ms, <= {TARGET_HISTORY_QUERIES} q",
                r["history_median_ms"] <= TARGET_HISTORY_MS
                and r["history_queries"] <= TARGET_HISTORY_QUERIES,
            )
        )
        for label, key in (
            ("diff() alone", "diff_fn_median_ms"),
            ("diff page", "diff_page_median_ms"),
        ):
            print(
                figure(
                    f"{name}: {label}",
                    f"{r[key]} ms",
                    f"<= {TARGET_DIFF_MS} ms",
                    r[key] <= TARGET_DIFF_MS,
                )
            )


if __name__ == "__main__":
    main()
