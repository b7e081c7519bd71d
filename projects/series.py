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
