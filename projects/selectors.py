"""Reads of project records, shaped for the pages that show them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Project, ProjectRevision
from .sections import SECTION_KEYS


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
