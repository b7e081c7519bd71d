"""The package's contract with the rest of Cairn: names, shapes, limits, and no Django."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import projects.importers as importers
from projects.importers import base, long

PACKAGE = Path(importers.__file__).parent
ROOT = PACKAGE.parents[1]


def field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]


def test_it_exports_the_agreed_names():
    assert importers.IMPORTER_VERSION == "1.0"
    for name in (
        "FORMATS",
        "ImportFailed",
        "InputFile",
        "Limits",
        "ParseResult",
        "Report",
        "RunData",
        "Series",
        "detect_format",
        "parse",
    ):
        assert hasattr(importers, name), name
    assert field_names(importers.Series) == [
        "key",
        "steps",
        "values",
        "wall_times",
        "lower",
        "upper",
    ]
    assert field_names(importers.RunData) == [
        "name",
        "external_id",
        "params",
        "tags",
        "started_at",
        "series",
    ]
    assert field_names(importers.ParseResult) == ["format", "runs", "report", "points"]
    assert field_names(importers.InputFile) == ["path", "name", "run_name", "metric_name"]
    assert importers.Limits() == importers.Limits(
        max_bytes=200 * 1024 * 1024,
        max_zip_members=100_000,
        max_zip_total=2 * 1024**3,
        max_zip_ratio=200.0,
        max_line_bytes=10 * 1024 * 1024,
        max_columns=5_000,
    )


def test_no_module_of_the_package_imports_django():
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "django" for n in names), module.name


def test_the_package_imports_and_parses_without_django_loaded(samples):
    script = (
        "import sys; from pathlib import Path; import projects.importers as i; "
        f"r = i.parse([i.InputFile(path=Path({str(samples / 'long.csv')!r}), name='long.csv')]); "
        "assert r.points == 360; assert 'django' not in sys.modules; print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_runs_count_past_the_cap_is_refused(upload, monkeypatch):
    monkeypatch.setattr(base, "MAX_SERIES", 10)
    rows = "".join(f"run-{i},loss,0,1\n" for i in range(11))
    with pytest.raises(importers.ImportFailed, match="would make 11 series"):
        importers.parse([upload("many.csv", "run,metric,step,value\n" + rows)])


def test_points_past_the_cap_are_refused(upload, monkeypatch):
    monkeypatch.setattr(base, "MAX_POINTS", 5)
    rows = "".join(f"r,loss,{i},1\n" for i in range(6))
    with pytest.raises(importers.ImportFailed, match="holds more than 5 points"):
        importers.parse([upload("long.csv", "run,metric,step,value\n" + rows)])


def test_the_pyarrow_path_reads_what_the_c_parser_reads(samples, monkeypatch):
    files = [importers.InputFile(path=samples / "long.csv", name="long.csv")]
    slow = importers.parse(files)
    monkeypatch.setattr(long, "PYARROW_FROM_BYTES", 0)
    fast = importers.parse(files)
    assert [r.name for r in fast.runs] == [r.name for r in slow.runs]
    for a, b in zip(fast.runs, slow.runs, strict=True):
        for key in a.series:
            assert np.array_equal(a.series[key].values, b.series[key].values)
            assert np.array_equal(a.series[key].steps, b.series[key].steps)
