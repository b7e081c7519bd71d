"""Chart figures: server time and points sent for one long series, the results page of a big
project with every chart it loads, and what the columnar store buys over one row per point.

  (a) one series of 1,000,000 points: the chart data (JSON), the chart fragment and the smoothed
      data through the whole Django stack (test client, in process): median server time and
      points sent. Targets: <= 100 ms, <= 2,000 points.
  (b) the results page of a project with 200 runs x 20 metrics: the page shell (median time and
      queries; targets <= 300 ms, <= 15 queries), then every chart it loads lazily, requested as
      htmx does (HX-Request): how many, the slowest median, and the page with all of them, as a
      visitor's browser would ask one after the other (targets <= 100 ms a chart, <= 2 s in all).
  (c) the same 1M-point series stored one row per point (step, value) with the step as primary
      key, read as a chart needs it by the best a row store can do: ONE SQL query that
      aggregates on the server (min and max of each of 1,000 step buckets, the extremes a chart
      keeps), against the columnar read + downsample. Target: the columnar read is faster.

Each database runs in a child process with a throwaway test database of the bench's own.
Usage: python bench/charts_bench.py [--runs 15] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import json
import re
import time

from _child import (  # bench/ is on the path of a bench script
    add_options,
    backends,
    counted_queries,
    figure,
    median_ms,
    run_child,
    test_database,
)

POINTS = 1_000_000
BUCKETS = 1_000
TARGET_DATA_MS = 100
TARGET_POINTS = 2_000
TARGET_PAGE_MS = 300
TARGET_PAGE_QUERIES = 15
TARGET_CHART_MS = 100
TARGET_ALL_MS = 2_000


def _row_store(connection, steps, values) -> float:
    """The series as one row per point; returns the seconds the rows took to write (COPY on
    PostgreSQL, the fastest way in; executemany on SQLite)."""
    import numpy as np

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_points (step bigint PRIMARY KEY, value double precision)"
        )
        start = time.perf_counter()
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY bench_points (step, value) FROM STDIN") as copy:
                for s, v in zip(steps.tolist(), values.tolist(), strict=True):
                    copy.write_row((s, None if v != v else v))
        else:
            rows = [
                (int(s), None if np.isnan(v) else float(v))
                for s, v in zip(steps, values, strict=True)
            ]
            cursor.executemany("INSERT INTO bench_points (step, value) VALUES (%s, %s)", rows)
        seconds = time.perf_counter() - start
        cursor.execute("ANALYZE bench_points" if connection.vendor == "postgresql" else "ANALYZE")
    return seconds


def _row_store_read(connection) -> list[tuple]:
    """One query: min and max of each step bucket, computed by the database."""
    width = POINTS // BUCKETS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT step / %s AS bucket, MIN(step), MAX(step), MIN(value), MAX(value), "
            "COUNT(value) FROM bench_points GROUP BY step / %s ORDER BY bucket",
            [width, width],
        )
        return cursor.fetchall()


def measure(runs: int) -> dict:
    import django
    from django.db import connection

    django.setup()
    import numpy as np
    from django.test import Client

    from projects.charts import metric_figure
    from projects.models import ExperimentImport, MetricSeries, Run
    from projects.selectors.charts import series_for_chart
    from projects.series import STEP_DTYPE, VALUE_DTYPE, pack, pack_steps, summarise
    from projects.services import project_create
    from tests.factories import UserFactory

    with test_database():
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
        sent = client.get(data).json()["points"]
        assert client.get(fragment).status_code == 200
        fragment_ms = median_ms(lambda: client.get(fragment), runs)
        data_ms = median_ms(lambda: client.get(data), runs)
        smooth_ms = median_ms(lambda: client.get(data + "&smooth=0.9"), runs)
        smooth_sent = client.get(data + "&smooth=0.9").json()["points"]

        def columnar():
            (series,) = series_for_chart(project=big, key="loss", run_ids=[run.pk])
            return metric_figure("loss", [series])

        columnar_ms = median_ms(columnar, runs)

        # (c) one row per point, aggregated by the database in one query.
        insert_s = _row_store(connection, steps, values)
        buckets = _row_store_read(connection)
        assert len(buckets) == BUCKETS, len(buckets)
        rows_ms = median_ms(lambda: _row_store_read(connection), runs)

        # (b) 200 runs x 20 metrics, the page shell and each chart it loads.
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
        with counted_queries() as queries:
            response = client.get(page)
        html = response.content.decode()
        slots = re.findall(r'<section [^>]*hx-get="([^"]+)"[^>]*data-testid="chart-slot"', html)
        assert slots, "the results page loads no chart"
        page_ms = median_ms(lambda: client.get(page), runs)
        htmx = Client(HTTP_HOST="127.0.0.1", headers={"HX-Request": "true"})
        htmx.force_login(user)
        chart_ms, chart_queries = [], []
        for url in slots:
            url = url.replace("&amp;", "&")
            answer = htmx.get(url)
            assert answer.status_code == 200, (url, answer.status_code)
            with counted_queries() as asked:
                htmx.get(url)
            chart_queries.append(len(asked))
            chart_ms.append(median_ms(lambda url=url: htmx.get(url), max(3, runs // 3)))

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
            "charts": len(slots),
            "chart_max_ms": max(chart_ms),
            "chart_median_ms": sorted(chart_ms)[len(chart_ms) // 2],
            "chart_queries": max(chart_queries),
            "all_ms": round(page_ms + sum(chart_ms), 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    add_options(parser, __file__)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.runs)))
        return

    for name, env in backends(args.postgres):
        r, error = run_child(__file__, ["--runs", str(args.runs)], env)
        if error:
            print(f"{name}: failed:\n{error}")
            continue
        print(f"== {name}, median of {args.runs} requests (server time, in process)")
        print(f"(a) one series of {POINTS:,} points")
        for label, ms, points in (
            ("chart data (JSON)", r["data_ms"], r["sent"]),
            ("chart data with EMA smoothing (2 traces)", r["smooth_ms"], r["smooth_sent"] / 2),
        ):
            print(
                figure(
                    label,
                    f"{ms} ms, {points:,.0f} points",
                    f"<= {TARGET_DATA_MS} ms, <= {TARGET_POINTS:,}",
                    ms <= TARGET_DATA_MS and points <= TARGET_POINTS,
                )
            )
        print(
            figure(
                "chart fragment (HTML)",
                f"{r['fragment_ms']} ms",
                f"<= {TARGET_DATA_MS} ms",
                r["fragment_ms"] <= TARGET_DATA_MS,
            )
        )
        print("(b) results page, 200 runs x 20 metrics")
        print(
            figure(
                "page shell",
                f"{r['page_ms']} ms, {r['page_queries']} queries",
                f"<= {TARGET_PAGE_MS} ms, <= {TARGET_PAGE_QUERIES}",
                r["page_ms"] <= TARGET_PAGE_MS and r["page_queries"] <= TARGET_PAGE_QUERIES,
            )
        )
        print(
            figure(
                f"its {r['charts']} lazy charts, slowest (median)",
                f"{r['chart_max_ms']} ms, {r['chart_queries']} queries",
                f"<= {TARGET_CHART_MS} ms",
                r["chart_max_ms"] <= TARGET_CHART_MS,
            )
        )
        print(
            figure(
                f"page + {r['charts']} charts, one after the other",
                f"{r['all_ms']:,.0f} ms",
                f"<= {TARGET_ALL_MS:,} ms",
                r["all_ms"] <= TARGET_ALL_MS,
            )
        )
        print("(c) the chart of the 1M-point series, read and downsampled")
        print(
            figure(
                "columnar (one row, arrays) + downsample",
                f"{r['columnar_ms']} ms",
                "faster than rows",
                r["columnar_ms"] < r["rows_ms"],
            )
        )
        print(
            figure(
                f"row per point, 1 SQL query ({BUCKETS:,} min/max)",
                f"{r['rows_ms']} ms",
                "(the baseline)",
                True,
            )
        )
        ratio = r["rows_ms"] / r["columnar_ms"]
        print(figure("ratio rows / columnar", f"{ratio:.1f}x", "> 1x", ratio > 1))
        print(f"  (writing the 1M rows took {r['insert_s']} s; the columnar row, one INSERT)")


if __name__ == "__main__":
    main()
