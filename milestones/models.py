from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from projects.access import mentors_q, visibility_q
from projects.models import GOAL_VISIBILITY_CHOICES, Visibility
from projects.urlcache import reverse_pk

from .links import validate_evidence_link


class GoalQuerySet(models.QuerySet):
    def visible_to(self, user) -> GoalQuerySet:
        """The one rule for who may read a goal and the milestones under it (projects.access)."""
        return self.filter(visibility_q(user))

    def owned_by(self, user) -> GoalQuerySet:
        return self.filter(owner=user)

    def in_quarter(self, year: int, quarter: int) -> GoalQuerySet:
        return self.filter(year=year, quarter=quarter)

    def public(self) -> GoalQuerySet:
        """What a visitor reads (goals are never unlisted): public goals."""
        return self.visible_to(None)

    def shared_with_mentors(self) -> GoalQuerySet:
        """The goals their owner's current mentors read: all but private ones."""
        return self.filter(mentors_q())


class QuarterlyGoal(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    title = models.CharField(max_length=200)
    why = models.TextField("why it matters", blank=True)
    success_criterion = models.CharField(max_length=300, blank=True)
    visibility = models.CharField(
        max_length=10, choices=GOAL_VISIBILITY_CHOICES, default=Visibility.PRIVATE
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["year", "quarter", "position", "id"]
        indexes = [models.Index(fields=["owner", "year", "quarter"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="goal_quarter_1_to_4"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("milestones:quarter", args=[self.year, self.quarter]) + f"#goal-{self.pk}"

    # The goal card's links, from the cached URL patterns (a quarter page draws 40 cards).
    @property
    def title_url(self) -> str:
        return reverse_pk("milestones:goal-title", self.pk)

    @property
    def milestone_create_url(self) -> str:
        return reverse_pk("milestones:milestone-create", self.pk)

    @property
    def edit_url(self) -> str:
        return reverse_pk("milestones:goal-edit", self.pk)

    @property
    def delete_url(self) -> str:
        return reverse_pk("milestones:goal-delete", self.pk)


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class TargetComparison(models.TextChoices):
    GTE = ">=", "≥ at least"
    GT = ">", "> above"
    LTE = "<=", "≤ at most"
    LT = "<", "< below"


class MilestoneQuerySet(models.QuerySet):
    def visible_to(self, user) -> MilestoneQuerySet:
        """Milestones follow their goal's visibility."""
        return self.filter(goal__in=QuarterlyGoal.objects.visible_to(user))

    def owned_by(self, user) -> MilestoneQuerySet:
        return self.filter(goal__owner=user)

    def open(self) -> MilestoneQuerySet:
        return self.filter(status__in=(MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS))

    def public(self) -> MilestoneQuerySet:
        """Milestones of public goals."""
        return self.filter(goal__in=QuarterlyGoal.objects.public())

    def shared_with_mentors(self) -> MilestoneQuerySet:
        """Milestones of goals their owner's current mentors read."""
        return self.filter(goal__in=QuarterlyGoal.objects.shared_with_mentors())


class CheckInQuerySet(models.QuerySet):
    """Check-ins follow their milestone's goal."""

    def visible_to(self, user) -> CheckInQuerySet:
        return self.filter(milestone__goal__in=QuarterlyGoal.objects.visible_to(user))

    def public(self) -> CheckInQuerySet:
        return self.filter(milestone__goal__in=QuarterlyGoal.objects.public())

    def shared_with_mentors(self) -> CheckInQuerySet:
        return self.filter(milestone__goal__in=QuarterlyGoal.objects.shared_with_mentors())


class Milestone(models.Model):
    goal = models.ForeignKey(QuarterlyGoal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    done_at = models.DateTimeField(null=True, blank=True)
    # A web address, or a path on this site (the run page of an automatic completion).
    evidence_url = models.CharField(max_length=500, blank=True, validators=[validate_evidence_link])
    # A metric target: done by itself when an import brings a run of target_project whose
    # target_metric meets it. The project is None only when it was deleted after the target
    # was set (the rest of the target stays, to say what it was).
    target_project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="milestone_targets",
    )
    target_metric = models.CharField(max_length=255, blank=True)
    target_comparison = models.CharField(max_length=2, choices=TargetComparison.choices, blank=True)
    target_threshold = models.FloatField(null=True, blank=True)
    evidence_run = models.ForeignKey(
        "projects.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["position", "due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False) | ~Q(status="done"),
                name="milestone_done_has_done_at",
            ),
            models.CheckConstraint(
                condition=Q(
                    target_project__isnull=True,
                    target_metric="",
                    target_comparison="",
                    target_threshold__isnull=True,
                )
                | (
                    ~Q(target_metric="")
                    & Q(target_comparison__in=TargetComparison.values)
                    & Q(target_threshold__isnull=False)
                ),
                name="milestone_target_all_or_none",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_pk("milestones:milestone", self.pk)

    @property
    def status_url(self) -> str:
        return reverse_pk("milestones:milestone-status", self.pk)

    @property
    def title_url(self) -> str:
        return reverse_pk("milestones:milestone-title", self.pk)

    @property
    def checkin_url(self) -> str:
        return reverse_pk("milestones:checkin-create", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS)

    @property
    def has_target(self) -> bool:
        return bool(self.target_metric)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today


class CheckIn(models.Model):
    """A dated note of progress on a milestone. Append-only: never edited or deleted alone."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="checkins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    note = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    confidence = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], default=3
    )
    # Written by Cairn (a metric target met, or its evidence import deleted), not typed.
    automatic = models.BooleanField(default=False)
    # The project whose runs an automatic check-in names: its note is read in full only by
    # those who may see that project (milestones.selectors.checkin_notes).
    about_project = models.ForeignKey(
        "projects.Project", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["milestone", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="checkin_progress_0_100"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=1, confidence__lte=5), name="checkin_confidence_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone}: {self.progress}%"
