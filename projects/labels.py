"""What a run is called on every page: its name, told apart from runs of the same name.

Trackers name runs by their configuration and repeat them over seeds, so five runs may all be
called "A1_no_pos_encoding". Wherever runs are listed together (the runs table, compare headers,
chart legends, the public best-runs table) each gets a distinct label: the name, then the params
that differ among the runs of that name ("A1_no_pos_encoding · seed 3"), else its start time,
else its number ("#42"). One rule, here, for every page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

SEPARATOR = " · "
# Params read first when they tell runs apart: the ones people name runs by.
SEED_WORDS = ("seed", "random_state", "rng", "fold", "trial", "repeat", "rep")
MAX_PARAMS = 3
MAX_VALUE = 24


@dataclass(frozen=True)
class RunInfo:
    id: int
    name: str
    params: dict
    started_at: object = None


def _info(run) -> RunInfo:
    if isinstance(run, RunInfo):
        return run
    if isinstance(run, dict):
        return RunInfo(run["id"], run["name"], run.get("params") or {}, run.get("started_at"))
    return RunInfo(run.id, run.name, run.params or {}, getattr(run, "started_at", None))


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _seedish(key: str) -> bool:
    name = key.lower().rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    return any(name == w or name.endswith(("_" + w, "-" + w)) for w in SEED_WORDS)


def _part(key: str, value) -> str:
    short = key.rsplit(".", 1)[-1].rsplit("/", 1)[-1] if _seedish(key) else key
    if _seedish(key):
        return f"{short} {_short(value)}"
    return f"{short}={_short(value)}"


def _distinguishing(group: list[RunInfo]) -> list[str]:
    """The params whose values differ among the runs of one name: seeds first, then by how
    many runs they tell apart, then by name."""
    keys: dict[str, set] = defaultdict(set)
    for run in group:
        for key in run.params:
            keys[key]
    for key in keys:
        for run in group:
            keys[key].add(str(run.params.get(key, "")))
    varying = [k for k, values in keys.items() if len(values) > 1]
    return sorted(varying, key=lambda k: (not _seedish(k), -len(keys[k]), k))


def run_labels(runs: Iterable) -> dict[int, str]:
    """A distinct label for each run (id -> label); unique names stay as they are.

    Runs are model instances, dicts with id, name, params (and started_at) or RunInfo.
    """
    infos = [_info(r) for r in runs]
    by_name: dict[str, list[RunInfo]] = defaultdict(list)
    for info in infos:
        by_name[info.name].append(info)
    labels: dict[int, str] = {}
    for name, group in by_name.items():
        if len(group) == 1:
            labels[group[0].id] = name
            continue
        chosen: list[str] = []
        for key in _distinguishing(group):
            chosen.append(key)
            if len(chosen) >= MAX_PARAMS or _all_distinct(group, chosen):
                break
        for run in group:
            parts = [_part(k, run.params[k]) for k in chosen if k in run.params]
            labels[run.id] = SEPARATOR.join([name, *parts]) if parts else name
        _settle(group, labels)
    return labels


def _all_distinct(group: list[RunInfo], keys: list[str]) -> bool:
    seen = {tuple(str(r.params.get(k, "")) for k in keys) for r in group}
    return len(seen) == len(group)


def _settle(group: list[RunInfo], labels: dict[int, str]) -> None:
    """Runs still sharing a label get their start time, then their number."""
    clash: dict[str, list[RunInfo]] = defaultdict(list)
    for run in group:
        clash[labels[run.id]].append(run)
    for label, same in clash.items():
        if len(same) == 1:
            continue
        times = [_time(r.started_at) for r in same]
        use_time = all(times) and len(set(times)) == len(same)
        for run, when in zip(same, times, strict=True):
            labels[run.id] = f"{label}{SEPARATOR}{when if use_time else f'#{run.id}'}"


def _time(started_at) -> str:
    if not started_at:
        return ""
    try:
        return started_at.strftime("%Y-%m-%d %H:%M:%S")
    except AttributeError:
        return str(started_at)


def labels_for(project, run_ids: Iterable[int] | None = None) -> dict[int, str]:
    """The labels of a project's runs (or of the given ones, told apart from every run of the
    project that shares a name with one of them)."""
    from .models import Run

    fields = ("id", "name", "params", "started_at")
    runs = Run.objects.current().filter(project=project)
    if run_ids is not None:
        names = runs.filter(id__in=list(run_ids)).values_list("name", flat=True)
        runs = runs.filter(name__in=list(set(names)))
    return run_labels(runs.values(*fields))
