"""The package's contract with the rest of Cairn: names, shapes, limits, and no Django."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import projects.importers as importers
from projects.importers import limits, long_rows

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
        "summary",
    ]
    assert field_names(importers.RunData) == [
        "name",
        "external_id",
        "params",
        "tags",
        "started_at",
        "series",
        "status",
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
    monkeypatch.setattr(limits, "MAX_SERIES", 10)
    rows = "".join(f"run-{i},loss,0,1\n" for i in range(11))
    with pytest.raises(importers.ImportFailed, match="would make 11 series"):
        importers.parse([upload("many.csv", "run,metric,step,value\n" + rows)])


def test_points_past_the_cap_are_refused(upload, monkeypatch):
    monkeypatch.setattr(limits, "MAX_POINTS", 5)
    rows = "".join(f"r,loss,{i},1\n" for i in range(6))
    with pytest.raises(importers.ImportFailed, match="holds more than 5 points"):
        importers.parse([upload("long.csv", "run,metric,step,value\n" + rows)])


def _plain(array):
    return None if array is None else [None if v != v else v for v in array.tolist()]


def _outcome(files):
    try:
        result = importers.parse(files)
    except importers.ImportFailed as failure:
        return ("failed", failure.message)
    runs = [
        (
            r.name,
            r.external_id,
            {
                k: (s.steps.tolist(), _plain(s.values), _plain(s.wall_times))
                for k, s in r.series.items()
            },
        )
        for r in result.runs
    ]
    return runs, result.report.as_dict()


WHOLE_FILE_CASES = {
    "clean": "run,metric,step,value,timestamp\na,loss,0,1.5,1764000000\na,loss,1,1.25,1764000001\n"
    "b,acc,0,0.5,1764000002\na,acc,0,0.1,1764000003\n",
    "interleaved": "run,metric,step,value\na,loss,0,1\nb,loss,0,2\na,loss,1,3\nb,loss,1,4\n",
    "padded names": "run,metric,step,value\n a ,loss,0,1\na,loss ,1,2\n",
    "numeric run names": "run,metric,step,value\n1,loss,0,1\n01,loss,1,2\n",
    "blank run": "run,metric,step,value\na,loss,0,1\n,loss,1,2\n",
    "fractional step": "run,metric,step,value\na,loss,0,1\na,loss,1.5,2\n",
    "text value": "run,metric,step,value\na,loss,0,1\na,loss,1,oops\n",
    "missing value": "run,metric,step,value\na,loss,0,1\na,loss,1,\n",
    "nan and inf": "run,metric,step,value\na,loss,0,nan\na,loss,1,inf\na,loss,2,1\n",
    "duplicates and restarts": "run,metric,step,value\na,loss,0,1\na,loss,1,2\na,loss,1,3\n"
    "a,loss,0,4\n",
    "blank line before a restart": "run,metric,step,value\na,loss,0,1\n\na,loss,1,2\na,loss,0,3\n",
    "ISO timestamps": "run,metric,step,value,timestamp\na,loss,0,1,2026-01-01T00:00:00Z\n",
}


@pytest.mark.parametrize("name", WHOLE_FILE_CASES)
def test_the_whole_file_path_reads_what_the_chunked_reader_reads(name, upload, monkeypatch):
    """Big clean files are read in one call; anything doubtful must end exactly as in chunks."""
    files = [upload("long.csv", WHOLE_FILE_CASES[name])]
    chunked = _outcome(files)
    taken = []
    real = long_rows.read_fast
    monkeypatch.setattr(long_rows, "FAST_FROM_BYTES", 0)
    monkeypatch.setattr(long_rows, "read_fast", lambda *a: taken.append(real(*a)) or taken[-1])
    assert _outcome(files) == chunked
    assert taken, "the whole-file reader was not tried"
    if name in ("clean", "interleaved", "padded names"):
        assert taken[0] > 0, "a clean file should be read whole"


def test_the_whole_file_path_reads_the_sample_as_the_chunked_reader(samples, monkeypatch):
    files = [importers.InputFile(path=samples / "long.csv", name="long.csv")]
    chunked = _outcome(files)
    monkeypatch.setattr(long_rows, "FAST_FROM_BYTES", 0)
    assert _outcome(files) == chunked


def test_the_whole_file_path_keeps_the_point_cap(upload, monkeypatch):
    monkeypatch.setattr(long_rows, "FAST_FROM_BYTES", 0)
    monkeypatch.setattr(limits, "MAX_POINTS", 5)
    rows = "".join(f"r,loss,{i},1\n" for i in range(6))
    with pytest.raises(importers.ImportFailed, match="holds more than 5 points"):
        importers.parse([upload("long.csv", "run,metric,step,value\n" + rows)])
