"""The records every MLflow source yields, and the interface the sync engine reads them through.

A source is read-only and knows nothing of Cairn: it turns a server's answers or a store's files
into these plain records. Times are milliseconds since the epoch, as MLflow keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class SourceError(Exception):
    """The source could not be read: unreachable, refused, timed out or answered nonsense.

    The message is shown to the owner as the reason the sync failed, so it says what happened
    in plain words ("The server at … refused the token (401)").
    """


@dataclass(frozen=True)
class RemoteExperiment:
    experiment_id: str
    name: str
    lifecycle_stage: str = "active"  # "active" or "deleted"


@dataclass(frozen=True)
class RemoteRun:
    run_id: str
    experiment_id: str
    name: str
    status: str  # RUNNING, SCHEDULED, FINISHED, FAILED, KILLED
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str = "active"  # "active" or "deleted"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # The newest metric timestamp the source reports for the run (MLflow's latest_metrics), or
    # None: lets the engine skip history requests for runs with no new points.
    last_metric_time: int | None = None
    metric_keys: tuple[str, ...] = ()
    # The newest point of each metric (MLflow's latest_metrics: highest step, then time), when
    # the source knows it without reading histories: the engine then asks only for metrics
    # whose newest point it does not have yet, and only from the step it has.
    latest: dict[str, Point] = field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    key: str
    step: int
    timestamp: int
    value: float


class Source(Protocol):
    """What the sync engine needs from a tracking server or a store."""

    #: Names the server or store in provenance and reports: a URL without credentials, or a path.
    label: str

    def experiments(self, wanted: Iterable[str]) -> list[RemoteExperiment]:
        """The experiments named by id or by name; an unknown one raises SourceError."""

    def runs(self, experiment_ids: list[str], since: int | None) -> Iterator[RemoteRun]:
        """Runs of these experiments, deleted ones included (lifecycle_stage says so), that were
        created or may have changed since `since` (ms; None: all). Params and tags filled in."""

    def history(self, run: RemoteRun, keys: Iterable[str]) -> dict[str, list[Point]]:
        """Every point of these metrics of the run, in step order."""


@runtime_checkable
class Incremental(Protocol):
    """What a source may offer besides Source to ask for less (the tracking server does).

    The engine uses it when the source has it; a source without it is read through Source alone
    (every run of the window, whole histories), which is right, only slower.
    """

    def runs_by_id(self, run_ids: list[str]) -> Iterator[RemoteRun]:
        """These runs as they are now (deleted ones included); ids unknown to the source are
        left out."""

    def histories(
        self, wanted: list[tuple[RemoteRun, dict[str, int | None]]]
    ) -> dict[str, dict[str, list[Point]]]:
        """{run_id: {key: points}} for each run and each of its keys, from the given step on
        (None: every point), in step order; requests shared between runs where it can."""
