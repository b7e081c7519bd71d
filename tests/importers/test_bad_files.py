"""Hostile and broken files end in ImportFailed with a message that says what is wrong."""

from __future__ import annotations

import pytest

from projects.importers import ImportFailed, InputFile, Limits, parse
from tests.fixtures.make_bad_files import CASES


def test_the_corpus_has_at_least_twenty_five_files():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_file_fails_with_a_specific_message(tmp_path, name):
    case = CASES[name](tmp_path)
    files = [InputFile(path=path, name=file_name) for file_name, path in case.files]
    with pytest.raises(ImportFailed) as failure:
        parse(files, limits=Limits(**case.limits))
    assert case.phrase in failure.value.message
    assert failure.value.message == str(failure.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_nothing_is_left_behind_in_the_temporary_folder(tmp_path, monkeypatch, name):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    case = CASES[name](tmp_path / "case")
    files = [InputFile(path=path, name=file_name) for file_name, path in case.files]
    with pytest.raises(ImportFailed):
        parse(files, limits=Limits(**case.limits))
    assert list(scratch.iterdir()) == []
