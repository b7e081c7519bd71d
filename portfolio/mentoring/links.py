"""Links from the core's pages to an engineer's feedback threads (see projects/people.py)."""

from __future__ import annotations

from django.urls import reverse


def _slug(owner) -> str | None:
    profile = getattr(owner, "profile", None)
    return profile.slug if profile is not None and profile.slug else None


def project_feedback(*, owner, project) -> str | None:
    """The page of a project's feedback threads, read by its owner and their mentors."""
    slug = _slug(owner)
    return reverse("mentoring:project", args=[slug, project.slug]) if slug else None


def milestone_feedback(*, owner, milestone) -> str | None:
    """The page of a milestone's feedback threads, read by its owner and their mentors."""
    slug = _slug(owner)
    return reverse("mentoring:milestone", args=[slug, milestone.pk]) if slug else None
