"""Reads of project records, shaped for the pages that show them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from ..labels import run_labels
from ..metrics import metric_direction, run_best, run_value
from ..models import IMPORT_DONE, ExperimentImport, ImportStatus, Project, ProjectRevision, Run
from ..sections import SECTION_KEYS


def project_list(
    *, owner: AbstractBaseUser, q: str = "", status: str = "", skill: str = ""
) -> QuerySet[Project]:
    """The owner's projects, filtered by status, skill and words in the current revision."""
    projects = (
        Project.objects.owned_by(owner)
        .select_related("current_revision")
        .prefetch_related("skills")
    )
    if status:
        projects = projects.filter(status=status)
    if skill:
        projects = projects.filter(skills__name=skill.strip().lower())
    for word in q.split()[:8]:
        match = Q(title__icontains=word) | Q(summary__icontains=word)
        for key in SECTION_KEYS:
            match |= Q(**{f"current_revision__{key}__icontains": word})
        projects = projects.filter(match)
    return projects.distinct()


def project_skills(*, owner: AbstractBaseUser) -> list[str]:
    """Every skill the owner has used, for the filter."""
    return sorted(
        set(Project.objects.owned_by(owner).values_list("skills__name", flat=True)) - {None}
    )


def project_for_owner(*, user: AbstractBaseUser, slug: str) -> Project:
    """The user's own project, or 404: another's is as absent as a missing one."""
    return get_object_or_404(
        Project.objects.owned_by(user).select_related("current_revision__author"), slug=slug
    )


def project_by_path(path: str) -> Project | None:
    """The project named "owner/slug" on the command line, or None when there is none."""
    owner, _, slug = path.partition("/")
    if not owner or not slug:
        return None
    return Project.objects.filter(owner__username=owner, slug=slug).first()


def reader_key(project: Project) -> str:
    """How the result pages name a project for a reader other than its owner ("<id>~<slug>")."""
    return f"{project.pk}~{project.slug}"


def project_for_reader(*, user: AbstractBaseUser, slug: str) -> Project:
    """A project whose results user may read, or 404: their own by its slug, or anyone's by
    its reader key ("<id>~<slug>", projects.urls) through the one visibility rule
    (Project.objects.visible_to: a current mentor reads projects shared with mentors, never
    private ones). Read by anyone but its owner, the project is marked read-only."""
    pk, sep, own_slug = slug.partition("~")
    if not sep:
        return project_for_owner(user=user, slug=slug)
    project = get_object_or_404(
        Project.objects.visible_to(user).select_related("current_revision__author"),
        pk=int(pk),
        slug=own_slug,
    )
    if project.owner_id != user.pk:
        project.reader_key = reader_key(project)
    return project


def revision_get(*, project: Project, number: int) -> ProjectRevision:
    return get_object_or_404(
        ProjectRevision.objects.select_related("author"), project=project, number=number
    )


def revision_history(*, project: Project) -> QuerySet[ProjectRevision]:
    """Revisions newest first, with only what the history page shows."""
    return (
        ProjectRevision.objects.filter(project=project)
        .select_related("author")
        .only(
            "number",
            "created_at",
            "change_note",
            "changed",
            "restored_from",
            "author__username",
            "project_id",
        )
    )


# --- Experiment results -------------------------------------------------------------------


@dataclass
class RunRow:
    id: int
    name: str
    started_at: object
    params: dict
    cells: dict  # metric -> (last, best)


@dataclass
class RunsTable:
    params: list[str]  # the columns shown
    metrics: list[str]
    directions: dict[str, str]
    rows: list[RunRow]
    total: int
    all_params: list[str] = field(default_factory=list)  # every param, to choose columns from
    chosen: bool = False  # the columns are the user's choice (?col=), not the default
    unknown: list[str] = field(default_factory=list)  # asked-for columns no run has


DEFAULT_COLUMNS = 6


def varying_params(rows: list[dict], limit: int = DEFAULT_COLUMNS) -> list[str]:
    """The params worth a column: those whose value differs among the runs, the ones that
    group runs (a model, a learning rate) before those set apart on every run (a seed, an
    output path); when none differs, the first ones by name."""
    keys: dict[str, set] = {}
    for row in rows:
        for key in row["params"] or {}:
            keys.setdefault(key, set())
    for key, values in keys.items():
        for row in rows:
            values.add(str((row["params"] or {}).get(key, "")))
    n = len(rows)
    varying = [k for k, values in keys.items() if len(values) > 1]
    varying.sort(key=lambda k: (len(keys[k]) >= n, len(keys[k]), k))
    return (varying or sorted(keys))[:limit]


def runs_table(
    *,
    project: Project,
    q: str = "",
    sort: str = "name",
    descending: bool = False,
    columns: list[str] | None = None,
) -> RunsTable:
    """The project's runs with their params (the ones that vary, or the chosen `columns`) and
    each metric's last and best value; each run named by its distinct label (labels.py).

    Sorting and filtering happen in Python over the runs' summaries (never their points): a
    project holds thousands of runs at most, and the summaries are small JSON.
    """
    rows = list(
        Run.objects.current()
        .filter(project=project)
        .values("id", "name", "started_at", "params", "summary")
    )
    labels = run_labels(rows)
    all_params = sorted({key for row in rows for key in (row["params"] or {})})
    for row in rows:
        row["name"] = labels[row["id"]]
    words = q.lower().split()
    if words:

        def haystack(row) -> str:
            return " ".join([row["name"], *(f"{k}={v}" for k, v in row["params"].items())]).lower()

        rows = [row for row in rows if all(word in haystack(row) for word in words)]
    metrics = sorted({key for row in rows for key in (row["summary"] or {})})
    directions = {key: metric_direction(key, project) for key in metrics}
    table_rows = []
    for row in rows:
        cells = {}
        for key in metrics:
            summary = row["summary"]
            cells[key] = (
                run_value(summary, key, "last", directions[key]),
                run_best(summary, key, directions[key]),
            )
        table_rows.append(
            RunRow(row["id"], row["name"], row["started_at"], row["params"] or {}, cells)
        )
    table_rows.sort(key=_sort_key(sort), reverse=descending)
    known = set(all_params)
    wanted = list(dict.fromkeys(c for c in columns or [] if c))
    return RunsTable(
        params=[c for c in wanted if c in known] if wanted else varying_params(rows),
        metrics=metrics,
        directions=directions,
        rows=table_rows,
        total=len(table_rows),
        all_params=all_params,
        chosen=bool(wanted),
        unknown=[c for c in wanted if c not in known],
    )


def _sort_key(sort: str):
    if sort.startswith(("last:", "best:")):
        which, key = sort.split(":", 1)
        index = 0 if which == "last" else 1

        def metric_key(row: RunRow):
            value = row.cells.get(key, (None, None))[index]
            return (value is None, value if value is not None else 0.0)

        return metric_key
    if sort == "started":
        return lambda row: (row.started_at is None, row.started_at or 0)
    return lambda row: row.name.lower()


def run_for_owner(*, user: AbstractBaseUser, project: Project, run_id: int) -> Run:
    """A run of project (found through the project's own rule), linked as its reader reads it."""
    run = get_object_or_404(
        Run.objects.current().select_related("experiment_import"), project=project, pk=run_id
    )
    run.project = run.experiment_import.project = project  # their URLs use the reader's key
    return run


def import_for_owner(*, project: Project, import_id: int) -> ExperimentImport:
    imp = get_object_or_404(
        ExperimentImport.objects.select_related("uploaded_by"), project=project, pk=import_id
    )
    imp.project = project  # its URL uses the reader's key
    return imp


@dataclass
class ImportsProgress:
    """A project's recent imports, and the batch under way: those since the oldest unfinished
    import when the page was drawn (`since`, kept by the polling URL so the count ends at
    "2 of 2 done" rather than vanishing)."""

    rows: list[ExperimentImport]
    batch: list[ExperimentImport]
    since: int | None

    @property
    def under_way(self) -> int:
        return sum(not imp.is_done for imp in self.rows)

    @property
    def done(self) -> int:
        return sum(imp.is_done for imp in self.batch)

    @property
    def failed(self) -> int:
        return sum(imp.status == ImportStatus.FAILED for imp in self.batch)

    @property
    def percent(self) -> int:
        """The batch's mean progress; a finished import counts as whole, failed or not."""
        if not self.batch:
            return 0
        return round(sum(100 if i.is_done else i.percent for i in self.batch) / len(self.batch))


def imports_progress(
    *, project: Project, since: int | None = None, limit: int = 10
) -> ImportsProgress:
    """The recent imports of a project with the batch under way (two queries at most)."""
    imports = ExperimentImport.objects.filter(project=project)
    if since is None:
        oldest = imports.exclude(status__in=IMPORT_DONE).order_by("pk").first()
        since = oldest.pk if oldest else None
    rows = {imp.pk: imp for imp in imports[:limit]}
    batch = []
    if since is not None:
        batch = list(imports.filter(pk__gte=since))
        rows.update((imp.pk, imp) for imp in batch)
    ordered = sorted(rows.values(), key=lambda imp: (imp.created_at, imp.pk), reverse=True)
    return ImportsProgress(rows=ordered, batch=batch, since=since)


def run_rows(*, project: Project) -> list[dict]:
    """The project's runs by name with their params, tags and summaries, each with its distinct
    label (labels.py) beside its name: what compare and statistics work from."""
    rows = list(
        Run.objects.current()
        .filter(project=project)
        .order_by("name", "id")
        .values("id", "name", "params", "tags", "summary", "started_at")
    )
    labels = run_labels(rows)
    for row in rows:
        row["label"] = labels[row["id"]]
    return rows
