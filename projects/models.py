from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .sections import CONTENT_FIELDS, SECTION_KEYS


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    MENTORS = "mentors", "Mentors"
    PUBLIC = "public", "Public"


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
        """The one rule for who may read a project and its revisions."""
        if user is not None and user.is_authenticated:
            return self.filter(Q(owner=user) | Q(visibility=Visibility.PUBLIC))
        return self.filter(visibility=Visibility.PUBLIC)

    def owned_by(self, user) -> ProjectQuerySet:
        return self.filter(owner=user)


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
        return reverse("projects:detail", args=[self.slug])


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
