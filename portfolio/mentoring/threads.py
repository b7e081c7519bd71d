"""Threads of feedback as a reader sees them: a revision's threads by section (and the outdated
ones apart), a milestone's by check-in, and one thread alone for the htmx answers. Every read
goes through comments_visible_to, the rule for feedback."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from milestones.models import Milestone
from projects.models import Project, ProjectRevision

from ..models import Comment
from . import links
from .selectors import comments_visible_to


@dataclass
class Thread:
    root: Comment
    replies: list[Comment] = field(default_factory=list)
    outdated: bool = False
    on_other_revision: bool = False
    pin_url: str = ""  # where a thread on results opens its run or chart, for this reader


def _threads(comments: QuerySet[Comment]) -> list[Thread]:
    by_root: dict[int, Thread] = {}
    replies: dict[int, list[Comment]] = defaultdict(list)
    for c in comments.select_related(
        "author__profile", "resolved_by__profile", "revision__project"
    ).order_by("created_at", "id"):
        if c.parent_id is None:
            by_root[c.pk] = Thread(root=c)
        else:
            replies[c.parent_id].append(c)
    for root_id, thread in by_root.items():
        thread.replies = replies.get(root_id, [])
    return list(by_root.values())


def revision_threads(
    *, viewer: AbstractBaseUser, project: Project, revision: ProjectRevision
) -> dict:
    """The project's threads as seen on revision: keyed by section ("" for the whole record),
    and those pinned to a run or a chart apart ("results").

    A thread written on another revision about a section whose text differs from this
    revision's is outdated: it stays with the revision it was written on and is listed apart,
    with a link to it, never moved onto text it was not about.
    """
    comments = comments_visible_to(viewer).filter(revision__project=project)
    current: dict[str, list[Thread]] = defaultdict(list)
    outdated: list[Thread] = []
    results: list[Thread] = []
    for thread in _threads(comments):
        _read_on(thread, revision)
        if thread.root.pin:
            thread.pin_url = links.pinned_results(comment=thread.root, viewer=viewer)
            results.append(thread)
        elif thread.outdated:
            outdated.append(thread)
        else:
            current[thread.root.section].append(thread)
    return {"by_section": dict(current), "outdated": outdated, "results": results}


def _read_on(thread: Thread, revision: ProjectRevision) -> None:
    """Mark a revision thread as read on revision: written on another one, and outdated when
    its section's text differs there."""
    root = thread.root
    written_on = root.revision
    thread.on_other_revision = written_on.pk != revision.pk
    if root.section and thread.on_other_revision:
        before = getattr(written_on, root.section, "") or ""
        now = getattr(revision, root.section, "") or ""
        thread.outdated = before != now


def thread_for_viewer(
    *, viewer: AbstractBaseUser, root: Comment, revision: ProjectRevision | None = None
) -> Thread | None:
    """The one thread that starts at root, as viewer reads it (on revision, for a thread on a
    project); None when viewer may not read it."""
    comments = comments_visible_to(viewer).filter(Q(pk=root.pk) | Q(parent_id=root.pk))
    found = _threads(comments)
    if not found:
        return None
    thread = found[0]
    if thread.root.revision_id:
        _read_on(thread, revision or thread.root.revision)
    if thread.root.pin:
        thread.pin_url = links.pinned_results(comment=thread.root, viewer=viewer)
    return thread


def milestone_threads(*, viewer: AbstractBaseUser, milestone: Milestone) -> dict:
    """Threads on a milestone: those about the milestone itself, and those per check-in."""
    comments = comments_visible_to(viewer).filter(milestone=milestone)
    on_milestone: list[Thread] = []
    by_checkin: dict[int, list[Thread]] = defaultdict(list)
    for thread in _threads(comments):
        if thread.root.checkin_id:
            by_checkin[thread.root.checkin_id].append(thread)
        else:
            on_milestone.append(thread)
    return {"milestone": on_milestone, "by_checkin": dict(by_checkin)}
