"""Statistics over groups of a project's runs: runs grouped by a param, a tag or their name
without its seed number, each group summarised on one metric and compared with the baseline
group (the user's choice; by default one named baseline, control or main, else the largest)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import compare_figures, stats
from .compare import NAME_KEY, ChoiceError, metric_value, name_stem
from .metrics import SET_BY_OWNER, better_phrase, direction_and_reason
from .models import Project
from .selectors import run_rows

MAX_PAIRS = 10
# A group with one of these names is the baseline unless the user picks another.
BASELINE_NAMES = ("baseline", "control", "main")


@dataclass
class GroupKey:
    key: str  # "param:model", "tag:baseline" or "name"
    label: str
    groups: int


@dataclass
class StatsPage:
    keys: list[GroupKey]
    metrics: list[str]
    key: str = ""
    metric: str = ""
    which: str = "last"
    direction: str = "higher"
    direction_chosen: bool = False
    direction_reason: str = ""
    groups: list[stats.GroupSummary] = field(default_factory=list)
    comparisons: list[stats.Comparison] = field(default_factory=list)
    baseline: str = ""  # the group every other one is compared with
    baseline_chosen: bool = False  # by the user, rather than by default
    baseline_reason: str = ""  # why the default: "its name" or "the most runs"
    without_key: int = 0
    without_metric: int = 0
    figure: dict | None = None
    pairs_capped: bool = False
    total_runs: int = 0
    error: str = ""


def _group_value(row: dict, key: str) -> str | None:
    if key == NAME_KEY:
        return name_stem(row["name"])
    kind, _, name = key.partition(":")
    source = row["params"] if kind == "param" else row["tags"]
    value = (source or {}).get(name)
    return None if value is None or value == "" else str(value)


def grouping_keys(rows: list[dict]) -> list[GroupKey]:
    """Params and tags that split the runs into groups of more than one run each, at least
    somewhere (a key with a different value on every run groups nothing)."""
    out = []
    candidates = [NAME_KEY]
    candidates += sorted({f"param:{k}" for r in rows for k in (r["params"] or {})})
    candidates += sorted({f"tag:{k}" for r in rows for k in (r["tags"] or {})})
    for key in candidates:
        values = [v for r in rows if (v := _group_value(r, key)) is not None]
        distinct = len(set(values))
        if 2 <= distinct < len(values):
            label = "run name without its number" if key == NAME_KEY else key.replace(":", " ", 1)
            out.append(GroupKey(key, label, distinct))
    return out


def project_statistics(
    *,
    project: Project,
    key: str = "",
    metric: str = "",
    which: str = "last",
    baseline: str = "",
) -> StatsPage:
    """Groups of the project's runs on one metric, each compared with the baseline group."""
    rows = run_rows(project=project)
    page = _page(rows, which=which)
    try:
        _fill_statistics(
            page, project, rows, key=key, metric=metric, which=which, baseline=baseline
        )
    except ChoiceError as exc:
        page.error = str(exc)
        page.groups, page.comparisons, page.figure = [], [], None
    return page


def statistics_refused(*, project: Project, error: str) -> StatsPage:
    """The statistics page with no groups and the reason a query was refused."""
    rows = run_rows(project=project)
    page = _page(rows, which="last")
    page.error = error
    return page


def _page(rows: list[dict], *, which: str) -> StatsPage:
    keys = grouping_keys(rows)
    metrics = sorted({m for r in rows for m in (r["summary"] or {})})
    return StatsPage(keys=keys, metrics=metrics, which=which, total_runs=len(rows))


def _fill_statistics(page, project, rows, *, key, metric, which, baseline) -> None:
    keys, metrics = page.keys, page.metrics
    if key and key not in {k.key for k in keys}:
        raise ChoiceError(
            f"The runs cannot be grouped by “{key[:80]}”: pick a param or tag from the list."
        )
    if metric and metric not in metrics:
        raise ChoiceError(f"No run of this project has a metric called “{metric[:80]}”.")
    if not keys or not metrics:
        return
    page.key = key or keys[0].key
    page.metric = metric or _default_metric(project, rows, page.key, metrics)
    page.direction, page.direction_reason = direction_and_reason(page.metric, project)
    page.direction_chosen = page.direction_reason == SET_BY_OWNER
    grouped: dict[str, list[float | None]] = {}
    for row in rows:
        label = _group_value(row, page.key)
        if label is None:
            page.without_key += 1
            continue
        if page.metric not in (row["summary"] or {}):
            page.without_metric += 1
            continue
        grouped.setdefault(label, []).append(metric_value(row, page.metric, which, page.direction))
    page.groups = [stats.describe(label, values) for label, values in sorted(grouped.items())]
    if baseline and baseline not in {g.label for g in page.groups}:
        raise ChoiceError(f"There is no group “{baseline[:80]}” with {page.metric}.")
    page.baseline = baseline or default_baseline(page.groups)
    page.baseline_chosen = bool(baseline)
    if not baseline and page.baseline:
        named = page.baseline.strip().lower() in BASELINE_NAMES
        page.baseline_reason = "its name" if named else "the most runs"
    page.comparisons = _comparisons(page)
    if page.groups:
        arrow = better_phrase(page.direction)
        title = f"{page.metric} ({page.which}, {arrow})"
        page.figure = compare_figures.groups(page.groups, y_title=title)


def _default_metric(project: Project, rows: list[dict], key: str, metrics: list[str]) -> str:
    """The metric with the most groups of two or more runs; the success metric on a tie."""
    revision = project.current_revision
    success = revision.success_metric if revision is not None else ""

    def score(metric: str) -> tuple[int, bool]:
        sizes: dict[str, int] = {}
        for row in rows:
            label = _group_value(row, key)
            if label is not None and metric in (row["summary"] or {}):
                sizes[label] = sizes.get(label, 0) + 1
        return sum(1 for n in sizes.values() if n >= 2), metric == success

    return max(metrics, key=score)


def default_baseline(groups: list[stats.GroupSummary]) -> str:
    """The group named baseline, control or main (in that order), else the one with the most
    runs (the first by name on a tie); "" without groups."""
    by_name = {g.label.strip().lower(): g.label for g in groups}
    for name in BASELINE_NAMES:
        if name in by_name:
            return by_name[name]
    return max(groups, key=lambda g: g.n + g.dropped, default=None).label if groups else ""


def _comparisons(page: StatsPage) -> list[stats.Comparison]:
    """Each other group against the baseline (group − baseline), in the groups' order."""
    by_label = {g.label: g for g in page.groups}
    base = by_label.get(page.baseline)
    if base is None:
        return []
    others = [g for g in page.groups if g.label != page.baseline]
    page.pairs_capped = len(others) > MAX_PAIRS
    return [
        stats.compare(g, base, metric=page.metric, direction=page.direction)
        for g in others[:MAX_PAIRS]
    ]


def group_rows(page: StatsPage) -> list[dict]:
    """Each group with its mean, spread and interval worded for the table."""
    return [
        {
            "g": g,
            "mean": stats.fmt(g.mean),
            "sd": stats.fmt(g.sd),
            "ci": _interval(g.ci_low, g.ci_high),
        }
        for g in page.groups
    ]


def comparison_rows(page: StatsPage) -> list[dict]:
    """Each pair of groups compared, its numbers worded for the table."""
    return [
        {
            "c": c,
            "diff": stats.fmt(c.diff),
            "p": stats.fmt_p(c.p_value),
            "ci": _interval(c.boot_low, c.boot_high),
            "g": "–" if c.hedges_g is None else f"{c.hedges_g:.2f}",
        }
        for c in page.comparisons
    ]


def _interval(low: float | None, high: float | None) -> str:
    return "–" if low is None else f"[{stats.fmt(low)}, {stats.fmt(high)}]"
