"""Links from the core's pages to an engineer's feedback threads (see projects/people.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode

from projects.selectors import reader_key

from .selectors import is_mentor_of


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


def results_feedback(*, owner, project, viewer) -> str | None:
    """Where feedback pinned to a run or a chart of project is posted, for the engineer and
    their current mentors; None for anyone else (a public project's other readers)."""
    slug = _slug(owner)
    if slug is None or not (viewer.pk == owner.pk or is_mentor_of(viewer, owner.pk)):
        return None
    return reverse("mentoring:results-comment", args=[slug, project.slug])


def pinned_results(*, comment, viewer) -> str:
    """The run or chart a thread on results is pinned to, as viewer opens it: the owner on
    their own routes, a mentor by the project's reader key; "" once the run is gone."""
    project = comment.revision.project
    ref = project.slug if viewer.pk == project.owner_id else reader_key(project)
    pin = comment.pin or {}
    if "metric" in pin:
        query = urlencode({"metric": pin["metric"], "runs": ",".join(map(str, pin["runs"]))})
        return f"{reverse('projects:results', args=[ref])}?{query}"
    if comment.run_id:
        return reverse("projects:run", args=[ref, comment.run_id])
    return ""


def open_threads(project) -> int:
    """How many feedback threads on project (any revision) nobody has resolved yet."""
    from ..models import Comment

    return Comment.objects.filter(
        revision__project=project, parent__isnull=True, resolved_at__isnull=True
    ).count()
