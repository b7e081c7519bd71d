"""Columnar series storage: what is written comes back exactly, and regular steps stay small."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.models import MetricSeries
from projects.series import STEP_DTYPE, pack_steps, unpack_steps
from tests.factories import create_project, import_results

int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(steps=st.lists(int64, max_size=50))
def test_any_steps_come_back_exactly(steps):
    array = np.array(steps, dtype=STEP_DTYPE)
    assert unpack_steps(pack_steps(array), len(steps)).tolist() == steps


@given(
    first=st.integers(min_value=-(2**40), max_value=2**40),
    stride=st.integers(min_value=1, max_value=2**20),
    count=st.integers(min_value=3, max_value=5_000),
)
def test_evenly_spaced_steps_are_kept_as_first_and_stride(first, stride, count):
    steps = np.arange(first, first + stride * count, stride, dtype=STEP_DTYPE)
    stored = pack_steps(steps)
    assert len(stored) == 16
    assert np.array_equal(unpack_steps(stored, count), steps)


@pytest.mark.parametrize(
    "steps",
    [
        [0, 1],  # two points: 16 bytes either way, stored whole
        [0, 1, 3],  # uneven
        [5, 5, 5],  # repeated (a stride of 0 is not a progression)
        [3, 2, 1],  # backwards after a restart
        [2**63 - 3, 2**63 - 2, 2**63 - 1],  # a progression that ends at the int64 limit
    ],
)
def test_other_steps_are_stored_whole(steps):
    stored = pack_steps(np.array(steps, dtype=STEP_DTYPE))
    assert len(stored) == 8 * len(steps)
    assert unpack_steps(stored, len(steps)).tolist() == steps


@pytest.mark.django_db
def test_an_import_reads_back_from_the_database_point_for_point(alice):
    project = create_project(owner=alice, title="Storage")
    body = (
        "run,metric,step,value\n"
        + "".join(f"a,loss,{s},{1 / (s + 1)!r}\n" for s in range(0, 500, 5))
        + "a,acc,0,0.1\na,acc,3,0.2\na,acc,4,0.3\n"
    )
    imp = import_results(project, ("storage.csv", body.encode()))
    assert imp.status == "succeeded", imp.message
    stored = {s.key: s for s in MetricSeries.objects.filter(run__experiment_import=imp)}
    assert stored["loss"].step_array().tolist() == list(range(0, 500, 5))
    assert stored["loss"].value_array().tolist() == [1 / (s + 1) for s in range(0, 500, 5)]
    assert len(bytes(stored["loss"].steps)) == 16
    assert stored["acc"].step_array().tolist() == [0, 3, 4]
    assert stored["acc"].value_array().tolist() == [0.1, 0.2, 0.3]
    # The run's summary, computed for all series at once, agrees with the stored points.
    run = stored["loss"].run
    losses = [1 / (s + 1) for s in range(0, 500, 5)]
    assert run.summary["loss"] == {
        "last": losses[-1],
        "min": min(losses),
        "max": max(losses),
        "count": 100,
    }
    assert run.summary["acc"] == {"last": 0.3, "min": 0.1, "max": 0.3, "count": 3}
    assert (stored["loss"].last, stored["loss"].min, stored["loss"].max) == (
        losses[-1],
        min(losses),
        max(losses),
    )
