"""The context of the review pages (a revision, a milestone) with their discussions: what the
views in review_views.py render, whole or as one discussion."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from milestones import selectors as milestone_selectors
from milestones.models import Milestone
from projects.models import Project, ProjectRevision
from projects.sections import GROUPS, SECTIONS_BY_KEY, sections_in_group
from projects.selectors import reader_key

from ..models import Comment, Profile
from .review_forms import ReplyForm
from .threads import Thread, milestone_threads, revision_threads

SECTION_TITLES = {key: s.title for key, s in SECTIONS_BY_KEY.items()}


@dataclass
class Discussion:
    """The threads about one thing on a page (a section, the whole record, a check-in, the
    milestone) and the form that starts a new one there."""

    key: str  # the section key, or the check-in id; "" for the record or the milestone
    dom_id: str
    label: str
    threads: list[Thread]
    form: object | None = None  # a bound form whose errors and text are shown again
    quote: bool = False  # the form offers a quoted passage (sections of a record)
    field: str = "section"  # the hidden field naming what the comment is about


def revision_or_404(project: Project, number: int) -> ProjectRevision:
    return get_object_or_404(
        ProjectRevision.objects.select_related("author__profile"), project=project, number=number
    )


def next_url(request: HttpRequest) -> str:
    """The page a form was posted from, when it is one of ours."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url.split("#")[0]
    return ""


def revision_page(
    request: HttpRequest,
    profile: Profile,
    project: Project,
    revision: ProjectRevision | None,
    *,
    invalid: Discussion | None = None,
    reply: tuple[int, ReplyForm] | None = None,
) -> dict:
    """The review page of one revision; invalid carries a comment form to show again."""
    revision = revision or revision_or_404(project, project.current_revision.number)
    if project.owner_id != request.user.pk:
        project.reader_key = reader_key(project)  # its results pages, read-only (projects.urls)
    threads = revision_threads(viewer=request.user, project=project, revision=revision)
    by_section = threads["by_section"]
    args = [profile.slug, project.slug, revision.number]
    comment_url = reverse("mentoring:revision-comment", args=args)
    here = page_url(request, reverse("mentoring:revision", args=args))

    def discussion(key: str, label: str) -> Discussion:
        form = invalid.form if invalid is not None and invalid.key == key else None
        dom_id = f"threads-{key}" if key else "threads-record"
        return Discussion(key, dom_id, label, by_section.get(key, []), form, quote=bool(key))

    groups = [
        (group, [(s, getattr(revision, s.key), discussion(s.key, "Comment on this section"))
                 for s in sections_in_group(group.key)])
        for group in GROUPS
    ]  # fmt: skip
    return {
        "profile": profile,
        "project": project,
        "revision": revision,
        "is_current": revision.pk == project.current_revision_id,
        "revisions": project.revisions.order_by("-number").only(
            "number", "created_at", "project_id"
        ),
        "record": discussion("", "Comment on the whole record"),
        "groups": groups,
        "outdated": threads["outdated"],
        "results_threads": threads["results"],
        "has_results": project.runs.current().exists(),
        "section_titles": SECTION_TITLES,
        **discussion_context(request, profile, comment_url, here, revision.number, reply),
    }


def milestone_page(
    request: HttpRequest,
    profile: Profile,
    milestone: Milestone,
    *,
    invalid: Discussion | None = None,
    reply: tuple[int, ReplyForm] | None = None,
) -> dict:
    threads = milestone_threads(viewer=request.user, milestone=milestone)

    def discussion(key: str, found: list, label: str) -> Discussion:
        form = invalid.form if invalid is not None and invalid.key == key else None
        dom_id = f"threads-checkin-{key}" if key else "threads-milestone"
        return Discussion(key, dom_id, label, found, form, field="checkin")

    found = list(milestone.checkins.select_related("author__profile"))
    notes = milestone_selectors.checkin_notes(found, viewer=request.user)
    for c in found:
        c.shown_note = notes[c.pk]
    checkins = [
        (c, discussion(str(c.pk), threads["by_checkin"].get(c.pk, []), "Comment on this check-in"))
        for c in found
    ]
    comment_url = reverse("mentoring:milestone-comment", args=[profile.slug, milestone.pk])
    here = page_url(request, reverse("mentoring:milestone", args=[profile.slug, milestone.pk]))
    return {
        "profile": profile,
        "milestone": milestone,
        "evidence_url": milestone_selectors.evidence_url_for(milestone, viewer=request.user),
        "overdue": milestone.is_overdue(),
        "checkins": checkins,
        "about": discussion("", threads["milestone"], "Comment on this milestone"),
        **discussion_context(request, profile, comment_url, here, None, reply),
    }


def discussion_context(
    request: HttpRequest,
    profile: Profile,
    comment_url: str,
    here: str,
    on: int | None,
    reply: tuple[int, ReplyForm] | None,
) -> dict:
    """What every thread and comment form of a page needs to know."""
    reply_for, reply_form = reply or (None, None)
    return {
        "profile": profile,
        "is_owner": profile.user_id == request.user.pk,
        "comment_url": comment_url,
        "here": here,
        "on": on,
        "reply_for": reply_for,
        "reply_form": reply_form,
    }


def page_url(request: HttpRequest, canonical: str) -> str:
    """Where the page's forms send the reader back to: this page, or the one posted from."""
    if request.method == "GET":
        return request.path
    return next_url(request) or canonical


def thread_context(
    request: HttpRequest,
    root: Comment,
    revision: ProjectRevision | None,
    reply: tuple[int, ReplyForm] | None,
) -> dict:
    """What the one-thread fragment needs beside the thread (threads.thread_for_viewer),
    without building its whole page: revision is the one read, None for a milestone thread."""
    profile = root.owner.profile
    if revision is not None:
        project = root.revision.project
        args = [profile.slug, project.slug, revision.number]
        comment_url = reverse("mentoring:revision-comment", args=args)
        here = page_url(request, reverse("mentoring:revision", args=args))
        extra = {"project": project, "revision": revision, "section_titles": SECTION_TITLES}
    else:
        args = [profile.slug, root.milestone_id]
        comment_url = reverse("mentoring:milestone-comment", args=args)
        here = page_url(request, reverse("mentoring:milestone", args=args))
        extra = {"milestone": root.milestone}
    on = revision.number if revision is not None else None
    return {**extra, **discussion_context(request, profile, comment_url, here, on, reply)}
