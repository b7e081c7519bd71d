"""The web workers' allocator settings: applied on glibc, an operator's own kept."""

from __future__ import annotations

import platform

import pytest

from portfolio.server.allocator import tune_allocator


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_it_tunes_glibc():
    assert tune_allocator({}) is True


@pytest.mark.parametrize(
    "environ",
    [
        {"CAIRN_TUNE_MALLOC": "0"},
        {"MALLOC_MMAP_THRESHOLD_": "131072"},
        {"MALLOC_TRIM_THRESHOLD_": "131072"},
    ],
)
def test_an_operators_choice_is_left_alone(environ):
    assert tune_allocator(environ) is False
