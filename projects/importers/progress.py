"""Progress of a parse as a fraction that never goes back, split over the files read."""

from __future__ import annotations

from collections.abc import Callable

from .data import RunData
from .report import Report


class Progress:
    """Reports a fraction in [0, 1] that never goes back, mapped into a parent's sub-range."""

    def __init__(self, callback: Callable[[float], None] | None, start=0.0, end=1.0):
        self._callback, self._start, self._end, self._last = callback, start, end, -1.0

    def __call__(self, fraction: float) -> None:
        if self._callback is None:
            return
        fraction = min(1.0, max(0.0, float(fraction)))
        value = self._start + (self._end - self._start) * fraction
        if value > self._last:
            self._last = value
            self._callback(value)

    def part(self, start: float, end: float) -> Progress:
        """A child reporting into [start, end] of this range."""
        return Progress(self, start, end) if self._callback else Progress(None)


def each_source(plan, report: Report, progress: Progress, read: Callable) -> list[list[RunData]]:
    """Call read(source, report, progress) for every data file, with the report naming the file."""
    out = []
    total = sum(max(1, s.size) for s in plan.sources)
    done = 0
    for source in plan.sources:
        report.current_file = source.name if len(plan.sources) > 1 else ""
        source.emit_notes(report)
        size = max(1, source.size)
        out.append(read(source, report, progress.part(done / total, (done + size) / total)))
        done += size
        progress(done / total)
    report.current_file = ""
    return out
