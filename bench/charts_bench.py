"""Chart figures: server time and points sent for one long series, the results page of a big
project, and what the columnar store buys over one row per point.

  (a) one series of 1,000,000 points: the chart fragment and the chart data (JSON) through the
      whole Django stack (test client, in process): median server time and points sent.
      Targets: <= 100 ms, <= 2,000 points.
  (b) the results page of a project with 200 runs x 20 metrics: median time and queries.
      Targets: <= 300 ms, <= 15 queries.
  (c) the same 1M-point series read row by row from a one-row-per-point table (step, value) with
      a cursor, then downsampled, against the columnar read + downsample: the ratio.

Each database runs in a child process with a throwaway test database.
Usage: python bench/charts_bench.py [--runs 15] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from _child import backends, run_child  # bench/ is on the path of a bench script

ROOT = Path(__file__).resolve().parent.parent
POINTS = 1_000_000


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def measure(runs: int) -> dict:
    import django
    from django.db import connection

    django.setup()
    import numpy as np
    from django.test import Client

    from projects.chart_views import series_for_chart
    from projects.charts import SeriesData, metric_figure
    from projects.models import ExperimentImport, MetricSeries, Run
    from projects.series import STEP_DTYPE, VALUE_DTYPE, pack, pack_steps, summarise
    from projects.services import project_create
    from tests.factories import UserFactory

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        user = UserFactory(username="bench")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        rng = np.random.default_rng(1)

        def make_import(project, n: int) -> ExperimentImport:
            return ExperimentImport.objects.create(
                project=project, uploaded_by=user, original_name=f"bench{n}.csv",
                sha256=f"{n:064x}", size=1, status="succeeded",
            )  # fmt: skip

        # (a) one long series
        big = project_create(owner=user, content={"title": "Long run", "status": "active"})
        steps = np.arange(POINTS, dtype=STEP_DTYPE)
        values = np.cumsum(rng.normal(0, 0.01, POINTS)) + np.sin(steps / 20_000)
        values[rng.choice(POINTS, 50, replace=False)] += 5  # spikes
        values[400_000:400_100] = np.nan
        run = Run.objects.create(
            project=big, experiment_import=make_import(big, 1), name="long",
            summary={"loss": summarise(values)},
        )  # fmt: skip
        MetricSeries.objects.create(
            run=run, key="loss", count=POINTS, steps=pack_steps(steps),
            values=pack(values, VALUE_DTYPE), **{k: v for k, v in summarise(values).items()
                                               if k != "count"},
        )  # fmt: skip
        query = f"?metric=loss&runs={run.pk}"
        fragment = f"/projects/{big.slug}/results/chart/{query}"
        data = f"/projects/{big.slug}/results/chart/data/{query}"
        body = client.get(data).json()
        assert client.get(fragment).status_code == 200
        sent = body["points"]
        fragment_ms = _median_ms(lambda: client.get(fragment), runs)
        data_ms = _median_ms(lambda: client.get(data), runs)
        smooth_ms = _median_ms(lambda: client.get(data + "&smooth=0.9"), runs)
        smooth_sent = client.get(data + "&smooth=0.9").json()["points"]

        def columnar():
            (series,) = series_for_chart(project=big, key="loss", run_ids=[run.pk])
            return metric_figure("loss", [series])

        columnar_ms = _median_ms(columnar, runs)

        # (c) one row per point: a temporary table read back with a cursor, row by row.
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_points (step bigint, value double precision)")
            rows = [
                (int(s), None if np.isnan(v) else float(v))
                for s, v in zip(steps, values, strict=True)
            ]
            start = time.perf_counter()
            cursor.executemany("INSERT INTO bench_points (step, value) VALUES (%s, %s)", rows)
            insert_s = time.perf_counter() - start
            del rows

        def row_by_row():
            read_steps, read_values = [], []
            with connection.cursor() as cursor:
                cursor.execute("SELECT step, value FROM bench_points ORDER BY step")
                for step, value in cursor:
                    read_steps.append(step)
                    read_values.append(float("nan") if value is None else value)
            series = SeriesData(
                "long", np.array(read_steps, dtype=STEP_DTYPE), np.array(read_values)
            )
            return metric_figure("loss", [series])

        rows_ms = _median_ms(row_by_row, max(3, runs // 3))
        assert row_by_row()["points"] == columnar()["points"]

        # (b) 200 runs x 20 metrics
        wide = project_create(owner=user, content={"title": "Sweep", "status": "active"})
        metrics = [f"metric_{m:02d}" for m in range(19)] + ["val_loss"]
        imp = make_import(wide, 2)
        short = np.linspace(1, 0, 200)
        summary = summarise(short)
        made = Run.objects.bulk_create(
            Run(
                project=wide, experiment_import=imp, name=f"run-{r:03d}",
                params={"lr": 10 ** -(r % 5), "seed": r % 7},
                summary={m: {**summary, "min": summary["min"] + r / 1000} for m in metrics},
            )
            for r in range(200)
        )  # fmt: skip
        MetricSeries.objects.bulk_create(
            MetricSeries(
                run=r, key=m, count=200, steps=pack_steps(np.arange(200)),
                values=pack(short, VALUE_DTYPE), last=0.0, min=0.0, max=1.0,
            )
            for r in made
            for m in metrics
        )  # fmt: skip
        page = f"/projects/{wide.slug}/results/"
        assert client.get(page).status_code == 200
        queries: list[str] = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(page)
        slots = response.content.count(b'data-testid="chart-slot"')
        page_ms = _median_ms(lambda: client.get(page), runs)

        return {
            "vendor": connection.vendor,
            "fragment_ms": fragment_ms,
            "data_ms": data_ms,
            "smooth_ms": smooth_ms,
            "smooth_sent": smooth_sent,
            "sent": sent,
            "columnar_ms": columnar_ms,
            "rows_ms": rows_ms,
            "insert_s": round(insert_s, 1),
            "page_ms": page_ms,
            "page_queries": len(queries),
            "page_slots": slots,
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--postgres",
        default="postgres://postgres:postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL; 'none' to skip",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.runs)))
        return

    for name, url in backends(args.postgres):
        r, error = run_child(__file__, ["--runs", str(args.runs)], url)
        if error:
            print(f"{name}: failed:\n{error}")
            continue
        ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
        print(f"== {name}, median of {args.runs} requests (server time, in process)")
        print(f"(a) one series of {POINTS:,} points")
        print(
            f"    chart data (JSON)      {r['data_ms']:>7} ms  {r['sent']:>5} points sent   "
            f"target <= 100 ms, <= 2,000: {ok(r['data_ms'] <= 100 and r['sent'] <= 2000)}"
        )
        print(f"    chart fragment (HTML)  {r['fragment_ms']:>7} ms")
        print(
            f"    with EMA smoothing     {r['smooth_ms']:>7} ms  {r['smooth_sent']:>5} points "
            "(raw + smoothed traces)"
        )
        print(
            f"(b) results page, 200 runs x 20 metrics: {r['page_ms']} ms, "
            f"{r['page_queries']} queries, {r['page_slots']} lazy charts   "
            f"target <= 300 ms, <= 15: {ok(r['page_ms'] <= 300 and r['page_queries'] <= 15)}"
        )
        print("(c) read + downsample the same series")
        print(f"    columnar (one row, arrays)   {r['columnar_ms']:>8} ms")
        print(f"    one row per point, cursor    {r['rows_ms']:>8} ms")
        print(f"    ratio                        {r['rows_ms'] / r['columnar_ms']:>8.0f}x")
        print(f"    (inserting the 1M rows took {r['insert_s']} s)")


if __name__ == "__main__":
    main()
