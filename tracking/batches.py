"""The points of a log call, read into numpy columns and checked with MLflow's words."""

from __future__ import annotations

import numpy as np

from projects.appends import Points

from .errors import MlflowError
from .protocol import check_name, to_float, to_int

_NUMBERS = {float, int}
_INTEGERS = {int}


def batch_points(items: list[dict], path: str) -> dict[str, Points]:
    """Checked points grouped by key, as numpy arrays: no per-point query, and for the usual
    batch (float values, int steps and timestamps, as the client sends them) no per-point
    Python beyond reading the columns."""
    keys = [item.get("key") for item in items]
    values = [item.get("value") for item in items]
    times = [item.get("timestamp") for item in items]
    steps = [item.get("step", 0) for item in items]
    for key in set(keys):
        i = keys.index(key)
        check_name(key if isinstance(key, str) else "", f"{path}[{i}].key", "Metric names")
    # The types of a whole column at once (map and set run in C): bools, strings and None
    # take the checked path below, which answers with MLflow's words.
    plain = (
        set(map(type, values)) <= _NUMBERS
        and set(map(type, times)) <= _INTEGERS
        and set(map(type, steps)) <= _INTEGERS
    )
    if plain:
        try:
            value_array = np.array(values, dtype="<f8")
            time_array = np.array(times, dtype="<i8")
            step_array = np.array(steps, dtype="<i8")
        except OverflowError:
            plain = False
    if not plain:
        value_array, time_array, step_array = _checked_columns(items, path)
    negative = np.flatnonzero(time_array < 0)
    if negative.size:
        i = int(negative[0])
        raise MlflowError.invalid(
            f"Invalid value {times[i]} for parameter '{path}[{i}].timestamp' supplied: metric "
            f"'{keys[i]}' (value={values[i]}). Timestamp must be a nonnegative long (64-bit "
            "integer) "
        )
    distinct = list(dict.fromkeys(keys))
    if len(distinct) == 1:
        return {distinct[0]: Points(step_array, time_array, value_array)}
    index = {key: n for n, key in enumerate(distinct)}
    codes = np.array([index[key] for key in keys])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(distinct) + 1))
    return {
        key: Points(
            step_array[order[bounds[n] : bounds[n + 1]]],
            time_array[order[bounds[n] : bounds[n + 1]]],
            value_array[order[bounds[n] : bounds[n + 1]]],
        )
        for n, key in enumerate(distinct)
    }


def _checked_columns(items: list[dict], path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns of a batch that is not plain, each value checked with MLflow's words."""
    values, times, steps = [], [], []
    for i, item in enumerate(items):
        values.append(to_float(item.get("value"), f"{path}[{i}].value"))
        timestamp = item.get("timestamp")
        if timestamp is None:
            raise MlflowError.invalid(
                f"Missing value for required parameter '{path}[{i}].timestamp'."
            )
        times.append(to_int(timestamp, f"{path}[{i}].timestamp"))
        step = item.get("step")
        steps.append(0 if step is None else to_int(step, f"{path}[{i}].step"))
    return (
        np.array(values, dtype="<f8"),
        np.array(times, dtype="<i8"),
        np.array(steps, dtype="<i8"),
    )
