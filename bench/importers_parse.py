"""How long projects.importers takes on a million-row long CSV, against a bare pandas read.

Writes 100 runs x 10 metrics x 1,000 steps (1,000,000 rows, about 34 MB) to a temporary
folder, then times pd.read_csv of the file and importers.parse of the same file (best of a few
tries each) and prints both and their ratio. The target is a ratio of at most 5.

    .venv/bin/python bench/importers_parse.py [--rows-per-series 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projects import importers

RUNS, METRICS = 100, 10


def write_file(path: Path, steps: int) -> int:
    """The benchmark file: one (run, metric, step, value, timestamp) row per point."""
    rng = np.random.default_rng(7)
    step = np.arange(steps)
    with open(path, "w", encoding="utf-8") as out:
        out.write("run,metric,step,value,timestamp\n")
        for run in range(RUNS):
            for metric in range(METRICS):
                values = rng.random(steps)
                stamps = 1_764_000_000 + step * 30
                out.writelines(
                    f"run-{run:03d},m/{metric},{s},{v:.6f},{t}\n"
                    for s, v, t in zip(step, values, stamps, strict=True)
                )
    return RUNS * METRICS * steps


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-series", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cairn-bench-") as tmp:
        path = Path(tmp) / "long.csv"
        rows = write_file(path, args.rows_per_series)
        size = path.stat().st_size
        files = [importers.InputFile(path=path, name="long.csv")]
        result = importers.parse(files)
        assert result.points == rows, (result.points, rows)
        bare = best_of(args.repeat, lambda: pd.read_csv(path))
        parse = best_of(args.repeat, lambda: importers.parse(files))
    print(f"file: {rows:,} rows, {size / 2**20:.1f} MB, {RUNS} runs x {METRICS} metrics")
    print(f"pd.read_csv:      {bare:.3f} s")
    print(f"importers.parse:  {parse:.3f} s")
    ratio = parse / bare
    print(f"ratio:            {ratio:.2f}   target <= 5   {'ok' if ratio <= 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
