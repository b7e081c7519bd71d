from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from .access import mentors_q, visibility_q
from .sections import CONTENT_FIELDS, SECTION_KEYS
from .series import VALUE_DTYPE, unpack, unpack_steps


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    MENTORS = "mentors", "Mentors"
    # Projects only: anyone with the link reads it, but it is listed nowhere and not indexed.
    UNLISTED = "unlisted", "Unlisted"
    PUBLIC = "public", "Public"


# Goals are not pages of their own, so a link-only goal would mean nothing.
GOAL_VISIBILITY_CHOICES = [c for c in Visibility.choices if c[0] != Visibility.UNLISTED]


class ProjectStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    ACTIVE = "active", "Active"
    DEPLOYED = "deployed", "Deployed"
    ARCHIVED = "archived", "Archived"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Skill(models.Model):
    """A skill or tag on projects ("pytorch", "nlp"), shared by everyone."""

    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectQuerySet:
        """The one rule for who may read a project and its revisions (projects.access)."""
        return self.filter(visibility_q(user))

    def owned_by(self, user) -> ProjectQuerySet:
        return self.filter(owner=user)

    def listed(self) -> ProjectQuerySet:
        """Without unlisted projects: for lists others read (profiles, sitemaps)."""
        return self.exclude(visibility=Visibility.UNLISTED)

    def public(self) -> ProjectQuerySet:
        """What a visitor reads and finds listed: public projects, not unlisted ones."""
        return self.visible_to(None).listed()

    def shared_with_mentors(self) -> ProjectQuerySet:
        """The projects their owner's current mentors read: all but private ones."""
        return self.filter(mentors_q())


class Project(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    slug = models.SlugField(max_length=60)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # Copies of the current revision's title, summary, status and tags, for lists and filters.
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.IDEA
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="projects")
    current_revision = models.OneToOneField(
        "ProjectRevision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # {metric: "higher" | "lower"}: the owner's word on a metric's direction, over the guess
    # from its name (projects.metrics.metric_direction).
    metric_directions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="project_slug_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.ref])

    # Set by selectors.project_for_reader when someone other than the owner (a mentor) reads
    # the project: its URLs then name it "<id>~<slug>" (a slug is unique only per owner) and
    # its pages offer no writes. Not a field: it belongs to one request's reading.
    reader_key = ""

    @property
    def ref(self) -> str:
        """How the result pages' URLs name this project for the one reading it."""
        return self.reader_key or self.slug

    @property
    def read_only(self) -> bool:
        """Read by someone other than its owner: pages show no import, delete or edit."""
        return bool(self.reader_key)


class RevisionQuerySet(models.QuerySet):
    """Revisions are immutable: the queryset refuses bulk updates and deletes."""

    def update(self, **kwargs):
        raise TypeError("Project revisions are immutable: make a new revision instead.")

    def delete(self):
        raise TypeError("Project revisions are deleted only with their project.")


class ProjectRevision(models.Model):
    """One saved state of a project record. Never changed or deleted on its own."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    change_note = models.CharField(max_length=200, blank=True)
    # Which content fields differ from the previous revision (all of them for the first).
    changed = models.JSONField(default=list)
    restored_from = models.PositiveIntegerField(null=True, blank=True)

    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=ProjectStatus.choices)
    tags = models.JSONField(default=list, blank=True)

    problem = models.TextField(blank=True)
    data_sources = models.TextField(blank=True)
    data_splits = models.TextField(blank=True)
    preprocessing = models.TextField(blank=True)
    model = models.TextField(blank=True)
    evaluation = models.TextField(blank=True)
    hypothesis = models.TextField(blank=True)
    stopping_rule = models.TextField(blank=True)
    results = models.TextField(blank=True)
    deployment = models.TextField(blank=True)
    compute = models.TextField(blank=True)

    success_metric = models.CharField(max_length=80, blank=True)
    success_target = models.FloatField(null=True, blank=True)
    success_direction = models.CharField(
        max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )

    repo_url = models.URLField(max_length=500, blank=True)
    artifacts_url = models.URLField(max_length=500, blank=True)
    demo_url = models.URLField(max_length=500, blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} r{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Project revisions are immutable: make a new revision instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("projects:revision", args=[self.project.slug, self.number])

    def delete(self, *args, **kwargs):
        raise TypeError("Project revisions are deleted only with their project.")

    def content(self) -> dict:
        """Every content field of this revision, as plain values."""
        return {field: getattr(self, field) for field in CONTENT_FIELDS}

    def sections(self) -> list[tuple[str, str]]:
        return [(key, getattr(self, key)) for key in SECTION_KEYS]


# --- Experiment results -------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    # Read, but a guess about where data lands was uncertain: the user checks the preview.
    REVIEW = "review", "Needs a check"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# Where an import stops without the user: finished, failed, or waiting for a check.
IMPORT_DONE = (ImportStatus.SUCCEEDED, ImportStatus.FAILED, ImportStatus.REVIEW)


def import_upload_to(instance: ImportFile, filename: str) -> str:
    return f"imports/{instance.experiment_import.project_id}/{instance.sha256[:16]}/{filename}"


class ExperimentImport(models.Model):
    """One upload of result files into a project, processed by a background job."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    requested_format = models.CharField(max_length=30, blank=True)
    detected_format = models.CharField(max_length=30, blank=True)
    run_name = models.CharField(max_length=200, blank=True)
    metric_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    progress = models.FloatField(default=0.0)
    message = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    # How the files are to be read (importers.Choices.as_dict()): column roles, date order,
    # delimiter, and whether the user confirmed the guesses. Kept for re-imports and provenance.
    choices = models.JSONField(default=dict, blank=True)
    runs_count = models.PositiveIntegerField(default=0)
    series_count = models.PositiveIntegerField(default=0)
    points_count = models.BigIntegerField(default=0)
    importer_version = models.CharField(max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="import_once_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("projects:import", args=[self.project.ref, self.pk])

    @property
    def is_done(self) -> bool:
        """Nothing more happens without the user: finished, failed, or waiting for a check."""
        return self.status in IMPORT_DONE

    @property
    def percent(self) -> int:
        return 100 if self.status == ImportStatus.SUCCEEDED else int(self.progress * 100)


class ImportFile(models.Model):
    """A file of an import, kept as uploaded: the source every imported number cites."""

    experiment_import = models.ForeignKey(
        ExperimentImport, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to=import_upload_to, max_length=500)
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class RunQuerySet(models.QuerySet):
    def current(self) -> RunQuerySet:
        """The runs that count: every listing of runs (runs table, charts, compare, statistics,
        targets, public pages, mentors' inbox) starts here, so a run its tracker deleted
        (MLflow's runs/delete, a soft delete that runs/restore undoes) shows nowhere."""
        return self.filter(deleted_at__isnull=True)


class Run(models.Model):
    """One training run, as an import brought it in."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    experiment_import = models.ForeignKey(
        ExperimentImport, on_delete=models.CASCADE, related_name="runs"
    )
    name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # As the tracker said it (MLflow's RUNNING, FINISHED, FAILED, KILLED, SCHEDULED; W&B's state
    # upper-cased); blank when the file does not say.
    status = models.CharField(max_length=20, blank=True)
    # {metric: {"last": x, "min": x, "max": x, "count": n}}, so tables never read the points.
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the tracker deleted the run (MLflow's runs/delete); cleared by a restore. A
    # deleted run keeps its points (a restore brings it back whole) but is listed nowhere:
    # see RunQuerySet.current.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["project", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:run", args=[self.project.ref, self.pk])


class MetricSeries(models.Model):
    """Every point of one metric of one run, as columnar arrays in one row (see DESIGN.md)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="series")
    key = models.CharField(max_length=255)
    count = models.PositiveIntegerField()
    # Little-endian int64 steps and float64 values (NaN for gaps), and optional float64 wall
    # times and W&B lower/upper bounds, each exactly `count` long; evenly spaced steps are kept
    # as their first step and stride (projects.series.pack_steps). Read them with step_array().
    steps = models.BinaryField()
    values = models.BinaryField()
    wall_times = models.BinaryField(null=True)
    lower = models.BinaryField(null=True)
    upper = models.BinaryField(null=True)
    last = models.FloatField(null=True)
    min = models.FloatField(null=True)
    max = models.FloatField(null=True)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="series_once_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key}"

    def step_array(self):
        """The steps as a numpy int64 array."""
        return unpack_steps(self.steps, self.count)

    def value_array(self):
        """The values as a numpy float64 array (NaN for gaps)."""
        return unpack(self.values, VALUE_DTYPE)


# Live logging (points appended by training code, artifacts it logs) is in its own module; its
# models belong to this app all the same, and are imported here so that Django registers them.
from .live_models import (  # noqa: E402, F401 (re-exported: the migrations name them here)
    ArtifactKind,
    PendingPoints,
    RunArtifact,
    artifact_storage,
    artifact_upload_to,
)
