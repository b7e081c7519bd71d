"""Reads for the public pages. They always read as a signed-out visitor does
(visible_to(None)): public pages show the same thing to everyone, the owner included."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from milestones.models import Milestone, MilestoneStatus
from milestones.quarters import Quarter
from projects import groups
from projects.labels import run_labels
from projects.metrics import comparison_for, is_better, metric_direction, rank, run_best
from projects.models import (
    ExperimentImport,
    ImportFile,
    Project,
    ProjectRevision,
    Run,
    RunArtifact,
)
from projects.targets import is_met

from ..models import Profile

TOP_RUNS = 10
CHART_METRICS = 4


def profile_for_visitor(*, slug: str, viewer) -> tuple[Profile, bool] | None:
    """The profile at slug and whether this is its owner's preview of a private profile; None
    (a 404) when it is private and viewer is not its owner."""
    profile = Profile.objects.select_related("user").filter(slug=slug).first()
    if profile is None:
        return None
    if profile.is_public:
        return profile, False
    if viewer is not None and viewer.is_authenticated and viewer.pk == profile.user_id:
        return profile, True
    return None


@dataclass
class KeyMetric:
    metric: str
    value: float
    run: str
    target: float | None
    comparison: str
    met: bool | None


def _key_metrics(projects: list[Project]) -> dict[int, KeyMetric]:
    """Each project's success metric on its best run, for all projects in one query."""
    wanted = {
        p.pk: (p.current_revision, metric_direction(p.current_revision.success_metric, p))
        for p in projects
        if p.current_revision and p.current_revision.success_metric
    }
    if not wanted:
        return {}
    best: dict[int, KeyMetric] = {}
    runs = (
        Run.objects.current()
        .filter(project_id__in=wanted)
        .values_list("project_id", "name", "summary")
    )
    for project_id, name, summary in runs.order_by("id"):
        revision, direction = wanted[project_id]
        metric = revision.success_metric
        value = run_best(summary, metric, direction)
        current = best.get(project_id)
        if value is not None and is_better(value, current and current.value, direction):
            comparison = comparison_for(direction)
            target = revision.success_target
            met = None if target is None else is_met(value, comparison, target)
            best[project_id] = KeyMetric(metric, value, name, target, comparison, met)
    return best


@dataclass
class ProfilePage:
    profile: Profile
    projects: list[Project]
    key_metrics: dict[int, KeyMetric]
    skills: list[str]
    quarters: list[tuple[Quarter, list[Milestone]]]
    milestones_done: int
    last_updated: object


def profile_page(profile: Profile) -> ProfilePage:
    """What the public profile shows: listed public projects with their key metric, skills,
    and completed milestones of public goals by quarter. Three queries."""
    projects = list(
        Project.objects.public()
        .filter(owner_id=profile.user_id)
        .select_related("current_revision")
        .order_by("-updated_at", "-id")
    )
    counts: dict[str, int] = {}
    for p in projects:
        for tag in p.current_revision.tags if p.current_revision else []:
            counts[tag] = counts.get(tag, 0) + 1
    skills = sorted(counts, key=lambda t: (-counts[t], t))
    milestones = list(
        Milestone.objects.public()
        .filter(goal__owner_id=profile.user_id, status=MilestoneStatus.DONE)
        .select_related("goal")
        .order_by("-goal__year", "-goal__quarter", "-done_at", "-id")
    )
    quarters: OrderedDict[Quarter, list[Milestone]] = OrderedDict()
    for m in milestones:
        quarters.setdefault(Quarter(m.goal.year, m.goal.quarter), []).append(m)
    moments = [profile.updated_at, *(p.updated_at for p in projects)]
    moments += [m.done_at for m in milestones if m.done_at]
    return ProfilePage(
        profile=profile,
        projects=projects,
        key_metrics=_key_metrics(projects),
        skills=skills,
        quarters=list(quarters.items()),
        milestones_done=len(milestones),
        last_updated=max(moments),
    )


def project_for_visitor(*, profile: Profile, slug: str) -> Project | None:
    """The public (or unlisted) project at slug of profile's owner, else None (a 404)."""
    return (
        Project.objects.visible_to(None)
        .filter(owner_id=profile.user_id, slug=slug)
        .select_related("current_revision__author__profile")
        .first()
    )


@dataclass
class Source:
    """Where a number came from: the import and its files."""

    id: int
    files: list[str]
    sha256: str
    importer: str
    date: object
    read_with: str = ""  # how the file was read, when the owner chose (import_choices.describe)
    # For a run logged through the MLflow API, who logged it and when (projects.provenance).
    logged: str = ""


@dataclass
class RunValue:
    name: str
    value: float
    source: Source | None
    id: int = 0


@dataclass
class RunArtifacts:
    """The files a run shown on the public page logged (projects.RunArtifact), the first few."""

    run: str
    artifacts: list[RunArtifact]
    more: int = 0


@dataclass
class ProjectPage:
    project: Project
    revision: ProjectRevision
    revisions: list[ProjectRevision]
    metric: str
    direction: str
    key_metric: KeyMetric | None
    top_runs: list[RunValue]
    # (metric, the ids of its best runs, the files those runs were imported from)
    charts: list[tuple[str, list[int], list[str]]]
    sources: list[Source]
    verdicts: list[str] = field(default_factory=list)
    stats_note: str = ""
    artifacts: list[RunArtifacts] = field(default_factory=list)


SUMMARY_RUNS = 30  # runs on a summary chart (one dot each)


def _points(summary: dict | None, metric: str) -> int:
    count = ((summary or {}).get(metric) or {}).get("count")
    return int(count) if isinstance(count, int | float) else 2


def _best_run_ids(project: Project, runs: list[tuple], metric: str) -> list[int]:
    """The runs to chart for a metric: the best ones with a curve of it (training over steps),
    or, when every run holds one value of it (a runs table), the best of those for a summary
    chart."""
    direction = metric_direction(metric, project)
    scored, summaries = [], []
    for run_id, _, summary, _ in runs:
        value = run_best(summary, metric, direction)
        if value is not None:
            which = scored if _points(summary, metric) > 1 else summaries
            which.append((rank(value, direction), run_id))
    if scored:
        return [run_id for _, run_id in sorted(scored)[:TOP_RUNS]]
    return [run_id for _, run_id in sorted(summaries)[:SUMMARY_RUNS]]


def chart_run_ids(project: Project, metric: str) -> list[int]:
    """The runs a public chart of metric shows (the best ones), as project_page picks them."""
    rows = Run.objects.current().filter(project=project).values_list("id", "summary")
    return _best_run_ids(project, [(i, "", summary, None) for i, summary in rows], metric)


def _has_curve(runs: list[tuple], metric: str) -> bool:
    return any(
        metric in (summary or {}) and _points(summary, metric) > 1 for _, _, summary, _ in runs
    )


def _source(imp: ExperimentImport) -> Source:
    from projects.import_choices import describe
    from projects.provenance import live_provenance

    files = [f.original_name for f in imp.files.all()] or [imp.original_name]
    return Source(
        id=imp.pk,
        files=files,
        sha256=imp.sha256,
        importer=" ".join(x for x in (imp.detected_format, imp.importer_version) if x),
        date=imp.finished_at or imp.created_at,
        read_with=describe(imp.choices),
        logged=live_provenance(imp),
    )


def project_page(project: Project) -> ProjectPage:
    """What the public project page shows: the current revision, the history, the success
    metric on the best runs with the import each value came from, and the statistics."""
    revision = project.current_revision
    revisions = list(
        project.revisions.order_by("-number").only(
            "number", "created_at", "change_note", "project_id"
        )
    )
    imports = (
        ExperimentImport.objects.filter(project=project, status="succeeded")
        .prefetch_related(Prefetch("files", queryset=ImportFile.objects.order_by("id")))
        .order_by("-finished_at", "-id")
    )
    sources = {imp.pk: _source(imp) for imp in imports}
    rows = list(
        Run.objects.current()
        .filter(project=project)
        .values("id", "name", "params", "started_at", "summary", "experiment_import_id")
    )
    labels = run_labels(rows)
    # Each run under its distinct label: runs of one name (seeds) told apart.
    runs = [(r["id"], labels[r["id"]], r["summary"], r["experiment_import_id"]) for r in rows]
    metrics = sorted({m for _, _, summary, _ in runs for m in (summary or {})})
    metric = revision.success_metric if revision and revision.success_metric in metrics else ""
    metric = metric or (metrics[0] if metrics else "")
    direction = metric_direction(metric, project, revision=revision)
    values = []
    for run_id, name, summary, import_id in runs:
        value = run_best(summary, metric, direction)
        if value is not None:
            values.append(RunValue(name, value, sources.get(import_id), run_id))
    values.sort(key=lambda r: rank(r.value, direction))
    key_metric = _key_metrics([project]).get(project.pk)
    # The success metric first, then the metrics with training curves before one-value ones.
    others = sorted((m for m in metrics if m != metric), key=lambda m: not _has_curve(runs, m))
    chart_metrics = [metric, *others][:CHART_METRICS] if metric else []
    charts = []
    for m in chart_metrics:
        ids = _best_run_ids(project, runs, m)
        imports = {import_id for run_id, _, _, import_id in runs if run_id in set(ids)}
        files = sorted({f for i in imports if i in sources for f in sources[i].files})
        charts.append((m, ids, files))
    page = ProjectPage(
        project=project,
        revision=revision,
        revisions=revisions,
        metric=metric,
        direction=direction,
        key_metric=key_metric,
        top_runs=values[:TOP_RUNS],
        charts=charts,
        sources=list(sources.values()),
    )
    # The artifacts of the runs the page shows: the best runs first, then those charted.
    shown = [r.id for r in page.top_runs] + [i for _, ids, _ in charts for i in ids]
    page.artifacts = run_artifacts(
        project=project, run_ids=list(dict.fromkeys(shown)), labels=labels
    )
    if len(runs) >= 2:
        stats = groups.project_statistics(project=project, metric=metric)
        page.verdicts = [c.verdict for c in stats.comparisons if c.verdict][:3]
    if revision and revision.success_metric and revision.success_metric not in metrics:
        page.stats_note = f"No run has the success metric {revision.success_metric} yet."
    return page


ARTIFACTS_PER_RUN = 12


def run_artifacts(
    *, project: Project, run_ids: list[int], labels: dict[int, str]
) -> list[RunArtifacts]:
    """The artifacts of these current runs of project, per run in the order given (each run's
    first ARTIFACTS_PER_RUN by path, with how many more it has). One query."""
    rows = (
        RunArtifact.objects.filter(run__in=Run.objects.current().filter(project=project))
        .filter(run_id__in=run_ids)
        .order_by("run_id", "path")
    )
    by_run: dict[int, list[RunArtifact]] = {}
    for artifact in rows:
        by_run.setdefault(artifact.run_id, []).append(artifact)
    return [
        RunArtifacts(
            labels.get(i, ""),
            by_run[i][:ARTIFACTS_PER_RUN],
            max(0, len(by_run[i]) - ARTIFACTS_PER_RUN),
        )
        for i in run_ids
        if i in by_run
    ]


def artifact_for_visitor(*, project: Project, artifact_id: int) -> RunArtifact | None:
    """An artifact of a current run of project (a project project_for_visitor found), else
    None (a 404): a deleted run's files are not shown, as the run is not."""
    return (
        RunArtifact.objects.filter(run__in=Run.objects.current().filter(project=project))
        .select_related("run")
        .filter(pk=artifact_id)
        .first()
    )
