"""The C allocator's settings for web workers, so large request bodies stream at disk speed.

A large upload passes through the WSGI server and Django's multipart parser as a stream of
chunks of up to 1 MiB, each copied a few times on the way. glibc's malloc serves blocks that
large with fresh mmap()s and hands them back to the kernel when freed, so every copy of every
chunk faults its pages in again: on a 150 MB upload that was about a third of the request
time. Serving blocks up to 4 MiB from the heap, and keeping up to 32 MiB of freed heap before
trimming it, lets the chunks reuse memory already mapped (measured with bench/upload_bench.py:
about 280 -> 500 MB/s). A worker's resident size grows by at most the trim threshold.

Operators who set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ themselves keep theirs;
CAIRN_TUNE_MALLOC=0 turns this off. Other C libraries (musl, macOS) are left as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# mallopt() parameters, from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 << 20
TRIM_THRESHOLD = 32 << 20


def tune_allocator(environ=os.environ) -> bool:
    """Apply the settings above to this process; whether they were applied."""
    if environ.get("CAIRN_TUNE_MALLOC", "1") == "0":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in environ or "MALLOC_TRIM_THRESHOLD_" in environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
