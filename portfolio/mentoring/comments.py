"""Writes for feedback: comments pinned to a revision, a project's results (a run or a chart),
a milestone or a check-in, replies, and resolving. Callers pass objects the author may see
(views fetch them through visible_to)."""

from __future__ import annotations

import re
from html import unescape

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from milestones.models import CheckIn, Milestone
from projects.labels import labels_for
from projects.models import Project, ProjectRevision, Run
from projects.sections import SECTION_KEYS

from ..models import Comment, Mentorship, Notification
from ..security.markdown import render_markdown
from .notifications import notify
from .selectors import is_mentor_of

MAX_BODY = 5000
MAX_QUOTE = 500
MAX_PINNED_RUNS = 20


_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre|tr|td|th|dd|dt|div)>|<br\s*/?>", re.I)


def plain_text(markdown: str) -> str:
    """A section as a reader sees it on the page: rendered, markup stripped, whitespace as one
    space (a block's end is a space, so list items and paragraphs do not run together)."""
    html = _BLOCK_END.sub(" ", render_markdown(markdown))
    return " ".join(unescape(strip_tags(html)).split())


def quote_found(quote: str, markdown: str) -> bool:
    """Whether quote is a passage of the section: copied from the rendered page (markup and
    spacing aside), or typed as the Markdown source."""
    quote, page = " ".join(quote.split()), plain_text(markdown)
    if quote in page or quote in " ".join(markdown.split()):
        return True
    rendered = plain_text(quote)
    return bool(rendered) and rendered in page


def _may_discuss(user: AbstractBaseUser, engineer_id: int) -> bool:
    return user.pk == engineer_id or is_mentor_of(user, engineer_id)


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"Keep it under {MAX_BODY:,} characters ({len(body):,})."})
    return body


def _audience(engineer_id: int, thread: Comment | None = None) -> list:
    """Who hears of a new comment: the engineer, and everyone who wrote in the thread while
    they still have access."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    ids = {engineer_id}
    if thread is not None:
        ids |= set(Comment.objects.filter(pk=thread.pk).values_list("author_id", flat=True)) | set(
            thread.replies.values_list("author_id", flat=True)
        )
    mentors = set(
        Mentorship.objects.active()
        .filter(engineer_id=engineer_id)
        .values_list("mentor_id", flat=True)
    )
    return list(User.objects.filter(pk__in=[i for i in ids if i == engineer_id or i in mentors]))


def _thread_start(author: AbstractBaseUser, engineer: AbstractBaseUser, **about) -> Comment:
    """The first comment of a thread on engineer's work, told to the engineer and mentors."""
    comment = Comment.objects.create(author=author, owner=engineer, **about)
    notify(
        recipients=_audience(engineer.pk),
        actor=author,
        engineer=engineer,
        kind=Notification.Kind.COMMENT,
        comment=comment,
    )
    return comment


@transaction.atomic
def comment_on_revision(
    *,
    author: AbstractBaseUser,
    revision: ProjectRevision,
    body: str,
    section: str = "",
    quote: str = "",
) -> Comment:
    """Start a thread on a revision, optionally on one section and quoting a passage of it."""
    engineer_id = revision.project.owner_id
    if not _may_discuss(author, engineer_id):
        raise PermissionError("only the engineer and their mentors discuss their work")
    errors = {}
    try:
        body = _clean_body(body)
    except ValidationError as e:
        errors.update(e.message_dict)
    section = (section or "").strip()
    quote = " ".join((quote or "").split())
    if section and section not in SECTION_KEYS:
        errors["section"] = ["Choose a section of the record."]
    if quote:
        if not section:
            errors["quote"] = ["Pick the section the passage comes from."]
        elif len(quote) > MAX_QUOTE:
            errors["quote"] = [f"Quote at most {MAX_QUOTE} characters."]
        elif section in SECTION_KEYS and not quote_found(quote, getattr(revision, section) or ""):
            errors["quote"] = ["That passage is not in this section of this revision."]
    if errors:
        raise ValidationError(errors)
    return _thread_start(
        author, revision.project.owner, revision=revision, section=section, quote=quote, body=body
    )


def _pin(project: Project, run: Run | None, metric: str, run_ids: list[int]) -> dict:
    """What a comment on results is about, checked against the project's runs."""
    if run is not None:
        if run.project_id != project.pk:
            raise ValidationError({"run": "That run belongs to another project."})
        return {"run": run.pk, "names": [labels_for(project, [run.pk]).get(run.pk, run.name)]}
    metric, ids = (metric or "").strip(), list(dict.fromkeys(run_ids))
    if not metric or not ids:
        raise ValidationError({"metric": "Pick a run, or a chart's metric and its runs."})
    if len(ids) > MAX_PINNED_RUNS or len(metric) > 255:
        raise ValidationError({"runs": f"Pin feedback to at most {MAX_PINNED_RUNS} runs."})
    has_metric = Q(series__key=metric) | Q(summary__has_key=metric)
    found = set(
        Run.objects.current()
        .filter(has_metric, project=project, pk__in=ids)
        .values_list("pk", flat=True)
    )
    if found != set(ids):
        raise ValidationError({"runs": f"Not every chosen run of this project has {metric}."})
    labels = labels_for(project, ids)
    return {"metric": metric, "runs": ids, "names": [labels[i] for i in ids]}


@transaction.atomic
def comment_on_results(
    *,
    author: AbstractBaseUser,
    project: Project,
    body: str,
    run: Run | None = None,
    metric: str = "",
    run_ids: list[int] | None = None,
) -> Comment:
    """Start a thread on a project's results: one run, or a chart (a metric over some runs).
    It sits on the current revision, so it reaches the engineer like every thread."""
    engineer_id = project.owner_id
    if not _may_discuss(author, engineer_id):
        raise PermissionError("only the engineer and their mentors discuss their work")
    if project.current_revision_id is None:
        raise ValidationError({"body": "This project has no record to discuss yet."})
    errors = {}
    try:
        body = _clean_body(body)
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        pin = _pin(project, run, metric, run_ids or [])
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    return _thread_start(
        author, project.owner, revision_id=project.current_revision_id, run=run, pin=pin, body=body
    )


@transaction.atomic
def comment_on_milestone(
    *,
    author: AbstractBaseUser,
    milestone: Milestone,
    body: str,
    checkin: CheckIn | None = None,
) -> Comment:
    """Start a thread on a milestone, or on one of its check-ins."""
    engineer = milestone.goal.owner
    if not _may_discuss(author, engineer.pk):
        raise PermissionError("only the engineer and their mentors discuss their work")
    if checkin is not None and checkin.milestone_id != milestone.pk:
        raise ValidationError({"checkin": "That check-in belongs to another milestone."})
    return _thread_start(
        author, engineer, milestone=milestone, checkin=checkin, body=_clean_body(body)
    )


@transaction.atomic
def comment_reply(*, author: AbstractBaseUser, thread: Comment, body: str) -> Comment:
    """Reply in a thread; a reply to a resolved thread reopens it."""
    root = thread if thread.parent_id is None else thread.parent
    if not _may_discuss(author, root.owner_id):
        raise PermissionError("only the engineer and their mentors discuss their work")
    reply = Comment.objects.create(
        author=author,
        owner_id=root.owner_id,
        revision_id=root.revision_id,
        section=root.section,
        milestone_id=root.milestone_id,
        checkin_id=root.checkin_id,
        parent=root,
        body=_clean_body(body),
    )
    if root.resolved_at is not None:
        Comment.objects.filter(pk=root.pk).update(resolved_at=None, resolved_by=None)
    notify(
        recipients=_audience(root.owner_id, root),
        actor=author,
        engineer=root.owner,
        kind=Notification.Kind.REPLY,
        comment=reply,
    )
    return reply


@transaction.atomic
def thread_set_resolved(*, thread: Comment, user: AbstractBaseUser, resolved: bool) -> Comment:
    """Resolve or reopen a thread: the engineer's call, on their own work."""
    root = thread if thread.parent_id is None else thread.parent
    if user.pk != root.owner_id:
        raise PermissionError("only the engineer resolves threads on their work")
    root = Comment.objects.select_for_update().get(pk=root.pk)
    if resolved == (root.resolved_at is not None):
        return root
    root.resolved_at = timezone.now() if resolved else None
    root.resolved_by = user if resolved else None
    root.save(update_fields=["resolved_at", "resolved_by"])
    notify(
        recipients=_audience(root.owner_id, root),
        actor=user,
        engineer=root.owner,
        kind=Notification.Kind.RESOLVED if resolved else Notification.Kind.REOPENED,
        comment=root,
    )
    return root
