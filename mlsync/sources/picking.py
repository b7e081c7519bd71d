"""Which of a source's experiments a connection follows: named by id or by name."""

from __future__ import annotations

from collections.abc import Iterable

from .base import RemoteExperiment, SourceError


def experiments_named(
    found: list[RemoteExperiment], wanted: Iterable[str], where: str
) -> list[RemoteExperiment]:
    """found narrowed to wanted (ids first, then names; an active one wins a shared name), every
    active one when nothing is named; SourceError naming `where` for an unknown one."""
    names = [str(w).strip() for w in wanted if str(w).strip()]
    if not names:
        return [e for e in found if e.lifecycle_stage == "active"]
    by_id = {e.experiment_id: e for e in found}
    by_name: dict[str, RemoteExperiment] = {}
    for experiment in found:
        if experiment.lifecycle_stage == "active" or experiment.name not in by_name:
            by_name[experiment.name] = experiment
    out: list[RemoteExperiment] = []
    for name in names:
        experiment = by_id.get(name) or by_name.get(name)
        if experiment is None:
            known = ", ".join(sorted(e.name for e in found)) or "none"
            raise SourceError(f"{where} has no experiment “{name}” (its experiments: {known}).")
        if experiment not in out:
            out.append(experiment)
    return out
