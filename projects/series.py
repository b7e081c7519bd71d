"""Columnar storage of metric points: numpy arrays to bytes and back."""

from __future__ import annotations

import math

import numpy as np

STEP_DTYPE = np.dtype("<i8")
VALUE_DTYPE = np.dtype("<f8")


def pack(array: np.ndarray | None, dtype: np.dtype) -> bytes | None:
    """Little-endian bytes of an array, or None for no array."""
    if array is None:
        return None
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def pack_steps(steps: np.ndarray) -> bytes:
    """Steps as stored: evenly spaced steps (0, 1, 2, … or 0, 50, 100, …, the usual case) as
    their first step and stride, 16 bytes; any others as the whole array (see unpack_steps)."""
    steps = np.ascontiguousarray(steps, dtype=STEP_DTYPE)
    if steps.size >= 3:
        first, stride = int(steps[0]), int(steps[1]) - int(steps[0])
        # Far from the int64 limits, so that rebuilding them cannot overflow.
        small = abs(first) < 2**62 and 0 < stride * (steps.size - 1) < 2**62
        if small and (np.diff(steps) == stride).all():
            return np.array([steps[0], stride], dtype=STEP_DTYPE).tobytes()
    return steps.tobytes()


def unpack_steps(data: bytes | memoryview, count: int) -> np.ndarray:
    """The steps stored by pack_steps. A whole array is 8 * count bytes; 16 bytes for three or
    more points can only be a first step and a stride."""
    raw = unpack(data, STEP_DTYPE)
    if count >= 3 and raw.size == 2:
        first, stride = int(raw[0]), int(raw[1])
        return np.arange(first, first + stride * count, stride, dtype=STEP_DTYPE)
    return raw


def unpack(data: bytes | memoryview | None, dtype: np.dtype) -> np.ndarray | None:
    """The array stored by pack (read-only, without a copy)."""
    if data is None:
        return None
    return np.frombuffer(bytes(data) if isinstance(data, memoryview) else data, dtype=dtype)


def summarise(values: np.ndarray) -> dict:
    """Last finite value, min, max and the number of finite points of a series."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"last": None, "min": None, "max": None, "count": 0}
    return {
        "last": float(finite[-1]),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "count": int(finite.size),
    }


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value
