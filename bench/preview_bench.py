"""Preview figure: the preview of a 1,000,000-row CSV answers in at most 300 ms.

Builds a 1,000,000-row long CSV (run, metric, step, value, timestamp, lr; dates written
day-month so the import stops for review) and prints the median time of
  - importers.preview.preview() on the file (the sample read, parsed and laid out);
  - the preview page (GET /projects/<slug>/imports/<id>/preview/) through the whole Django
    stack by the test client, for an import of that file held for review (SQLite test DB).
The preview reads only the first SAMPLE_BYTES of the file, so neither depends on its length.

Usage: python bench/preview_bench.py [--rows 1000000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MS = 300.0


def build(path: Path, rows: int) -> None:
    """run,metric,step,value,timestamp,lr: 100 runs x 10 metrics, dates as dd-mm-yyyy."""
    import numpy as np
    import pandas as pd

    index = np.arange(rows)
    steps_per = max(1, rows // 1000)
    frame = pd.DataFrame(
        {
            "run": "run-" + (index // (10 * steps_per)).astype(str),
            "metric": "m" + ((index // steps_per) % 10).astype(str),
            "step": index % steps_per,
            "value": np.round(np.random.default_rng(0).random(rows), 6),
            "timestamp": "0" + ((index % 9) + 1).astype(str) + "-08-2024 10:00",
            "lr": 0.001,
        }
    )
    frame.to_csv(path, index=False)


def median_ms(work, repeat: int) -> float:
    work()  # warm up (imports, template loading)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.test")
    os.environ.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="cairn-preview-bench-") as tmp:
        path = Path(tmp) / "runs.csv"
        start = time.perf_counter()
        build(path, args.rows)
        size = path.stat().st_size
        print(
            f"file: {args.rows:,} rows, {size / 2**20:.1f} MB (built in "
            f"{time.perf_counter() - start:.1f} s)"
        )

        from projects.importers import InputFile
        from projects.importers.preview import preview

        shown = preview([InputFile(path=path, name=path.name)])
        assert shown.sampled and len(shown.rows) == 20, "the preview should read a sample"
        function_ms = median_ms(
            lambda: preview([InputFile(path=path, name=path.name)]), args.repeat
        )
        print(
            f"preview():     {function_ms:7.1f} ms (median of {args.repeat})   target <= "
            f"{LIMIT_MS:.0f} ms   {'ok' if function_ms <= LIMIT_MS else 'MISSED'}"
        )
        page_ms = page_time(path, args.repeat)
        print(
            f"preview page:  {page_ms:7.1f} ms (median of {args.repeat}, server time)   target "
            f"<= {LIMIT_MS:.0f} ms   {'ok' if page_ms <= LIMIT_MS else 'MISSED'}"
        )
        worst = max(function_ms, page_ms)
        verdict = "OK" if worst <= LIMIT_MS else "TOO SLOW"
        print(f"limit {LIMIT_MS:.0f} ms: {verdict}")
        if worst > LIMIT_MS:
            sys.exit(1)


def page_time(path: Path, repeat: int) -> float:
    import django
    from django.conf import settings
    from django.db import connection

    django.setup()
    settings.MEDIA_ROOT = str(path.parent / "media")
    from django.core.files import File
    from django.test import Client

    from projects.models import ExperimentImport, ImportFile, ImportStatus
    from tests.factories import UserFactory, create_project

    connection.creation.create_test_db(verbosity=0, keepdb=False)
    user = UserFactory(username="bench")
    project = create_project(owner=user)
    imp = ExperimentImport.objects.create(
        project=project,
        uploaded_by=user,
        original_name=path.name,
        sha256="0" * 64,
        size=path.stat().st_size,
        status=ImportStatus.REVIEW,
    )
    record = ImportFile(experiment_import=imp, original_name=path.name, size=imp.size, sha256="0")
    with path.open("rb") as handle:
        record.file.save(path.name, File(handle), save=False)
    record.save()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/projects/{project.slug}/imports/{imp.pk}/preview/"

    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    return median_ms(get, repeat)


if __name__ == "__main__":
    main()
