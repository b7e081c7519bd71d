"""Where the sample files are, and small helpers to write files for a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from projects.importers import InputFile

# The repository's copy of the team's sample files (one of each format Cairn reads).
SAMPLES = Path(__file__).resolve().parents[2] / "projects" / "samples"


@pytest.fixture
def samples() -> Path:
    assert SAMPLES.is_dir(), f"the sample files are missing from {SAMPLES}"
    return SAMPLES


@pytest.fixture
def upload(tmp_path):
    """Write bytes (or text) to a file in tmp_path and give it as an InputFile."""

    def make(name: str, content: bytes | str, **overrides) -> InputFile:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return InputFile(path=path, name=name, **overrides)

    return make
