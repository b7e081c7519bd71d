"""Reading and discussing an engineer's work: the engineer and their current mentors only.

Everything else answers 404. Comment, reply, resolve and reopen are real form posts: with htmx
they answer with the updated discussion or thread (`_threads.html#discussion`, `#thread`);
without it they redirect back to the page, to the thread's anchor. Invalid input comes back with
status 200, the errors and the typed text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from milestones import selectors as milestone_selectors
from milestones.models import Milestone
from projects.models import Project, ProjectRevision
from projects.sections import GROUPS, SECTIONS_BY_KEY, sections_in_group

from ..models import Comment, Profile
from . import comments, selectors
from .review_forms import MilestoneCommentForm, ReplyForm, RevisionCommentForm

PERSON = "portfolio/review/person.html"
REVISION = "portfolio/review/revision.html"
MILESTONE = "portfolio/review/milestone.html"
THREADS = "portfolio/review/_threads.html"


@dataclass
class Discussion:
    """The threads about one thing on a page (a section, the whole record, a check-in, the
    milestone) and the form that starts a new one there."""

    key: str  # the section key, or the check-in id; "" for the record or the milestone
    dom_id: str
    label: str
    threads: list[selectors.Thread]
    form: object | None = None  # a bound form whose errors and text are shown again
    quote: bool = False  # the form offers a quoted passage (sections of a record)
    field: str = "section"  # the hidden field naming what the comment is about


# --- Lookups: anything the viewer may not read is a 404 ---------------------------------------


def _person_or_404(request: HttpRequest, slug: str) -> Profile:
    profile = selectors.person_for_viewer(viewer=request.user, slug=slug)
    if profile is None:
        raise Http404("No such person")
    return profile


def _project_or_404(request: HttpRequest, profile: Profile, project_slug: str) -> Project:
    projects = Project.objects.visible_to(request.user).filter(
        owner=profile.user, current_revision__isnull=False
    )
    return get_object_or_404(projects.select_related("current_revision__author"), slug=project_slug)


def _revision_or_404(project: Project, number: int) -> ProjectRevision:
    return get_object_or_404(
        ProjectRevision.objects.select_related("author__profile"), project=project, number=number
    )


def _milestone_or_404(request: HttpRequest, profile: Profile, milestone_id: int) -> Milestone:
    milestones = Milestone.objects.visible_to(request.user).filter(goal__owner=profile.user)
    return get_object_or_404(milestones.select_related("goal"), pk=milestone_id)


def _thread_or_404(request: HttpRequest, comment_id: int) -> Comment:
    """The first comment of the thread comment_id belongs to, if the viewer may read it."""
    comment = get_object_or_404(
        selectors.comments_visible_to(request.user).select_related(
            "owner__profile", "revision__project", "milestone__goal"
        ),
        pk=comment_id,
    )
    return comment if comment.parent_id is None else _thread_or_404(request, comment.parent_id)


def _next(request: HttpRequest) -> str:
    """The page a form was posted from, when it is one of ours."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url.split("#")[0]
    return ""


# --- Pages -----------------------------------------------------------------------------------


@login_required
@require_GET
def person(request: HttpRequest, slug: str) -> HttpResponse:
    profile = _person_or_404(request, slug)
    overview = selectors.person_overview(viewer=request.user, profile=profile)
    return render(
        request,
        PERSON,
        {"profile": profile, "is_self": profile.user_id == request.user.pk, **overview},
    )


@login_required
@require_GET
def project_review(request: HttpRequest, slug: str, project_slug: str) -> HttpResponse:
    profile = _person_or_404(request, slug)
    project = _project_or_404(request, profile, project_slug)
    return render(request, REVISION, _revision_page(request, profile, project, None))


@login_required
@require_GET
def revision_review(
    request: HttpRequest, slug: str, project_slug: str, number: int
) -> HttpResponse:
    profile = _person_or_404(request, slug)
    project = _project_or_404(request, profile, project_slug)
    revision = _revision_or_404(project, number)
    return render(request, REVISION, _revision_page(request, profile, project, revision))


@login_required
@require_GET
def milestone_review(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    profile = _person_or_404(request, slug)
    milestone = _milestone_or_404(request, profile, milestone_id)
    return render(request, MILESTONE, _milestone_page(request, profile, milestone))


def _revision_page(
    request: HttpRequest,
    profile: Profile,
    project: Project,
    revision: ProjectRevision | None,
    *,
    invalid: Discussion | None = None,
    reply: tuple[int, ReplyForm] | None = None,
) -> dict:
    """The review page of one revision; invalid carries a comment form to show again."""
    revision = revision or _revision_or_404(project, project.current_revision.number)
    threads = selectors.revision_threads(viewer=request.user, project=project, revision=revision)
    by_section = threads["by_section"]
    args = [profile.slug, project.slug, revision.number]
    comment_url = reverse("mentoring:revision-comment", args=args)
    page_url = _page_url(request, reverse("mentoring:revision", args=args))

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
        "section_titles": {key: s.title for key, s in SECTIONS_BY_KEY.items()},
        **_discussion_context(request, profile, comment_url, page_url, revision.number, reply),
    }


def _milestone_page(
    request: HttpRequest,
    profile: Profile,
    milestone: Milestone,
    *,
    invalid: Discussion | None = None,
    reply: tuple[int, ReplyForm] | None = None,
) -> dict:
    threads = selectors.milestone_threads(viewer=request.user, milestone=milestone)

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
    page_url = _page_url(request, reverse("mentoring:milestone", args=[profile.slug, milestone.pk]))
    return {
        "profile": profile,
        "milestone": milestone,
        "evidence_url": milestone_selectors.evidence_url_for(milestone, viewer=request.user),
        "overdue": milestone.is_overdue(),
        "checkins": checkins,
        "about": discussion("", threads["milestone"], "Comment on this milestone"),
        **_discussion_context(request, profile, comment_url, page_url, None, reply),
    }


def _discussion_context(
    request: HttpRequest,
    profile: Profile,
    comment_url: str,
    page_url: str,
    on: int | None,
    reply: tuple[int, ReplyForm] | None,
) -> dict:
    """What every thread and comment form of a page needs to know."""
    reply_for, reply_form = reply or (None, None)
    return {
        "profile": profile,
        "is_owner": profile.user_id == request.user.pk,
        "comment_url": comment_url,
        "here": page_url,
        "on": on,
        "reply_for": reply_for,
        "reply_form": reply_form,
    }


def _page_url(request: HttpRequest, canonical: str) -> str:
    """Where the page's forms send the reader back to: this page, or the one posted from."""
    if request.method == "GET":
        return request.path
    return _next(request) or canonical


# --- Comments --------------------------------------------------------------------------------


@login_required
@require_POST
@vary_on_headers("HX-Request")
def revision_comment(
    request: HttpRequest, slug: str, project_slug: str, number: int
) -> HttpResponse:
    profile = _person_or_404(request, slug)
    project = _project_or_404(request, profile, project_slug)
    revision = _revision_or_404(project, number)
    form = RevisionCommentForm(request.POST)
    form.is_valid()
    key = form.cleaned_data.get("section", "")
    if key and key not in SECTIONS_BY_KEY:
        raise Http404("No such section")
    try:
        comment = comments.comment_on_revision(
            author=request.user,
            revision=revision,
            body=form.cleaned_data.get("body", ""),
            section=key,
            quote=form.cleaned_data.get("quote", ""),
        )
    except PermissionError:
        raise Http404("No such project") from None
    except ValidationError as e:
        form.add_service_errors(e)
        invalid = Discussion(key, "", "", [], form)
        context = _revision_page(request, profile, project, revision, invalid=invalid)
        return _discussion_or_page(request, REVISION, context, key)
    if request.htmx:
        context = _revision_page(request, profile, project, revision)
        return _discussion_or_page(request, REVISION, context, key)
    page = reverse("mentoring:revision", args=[profile.slug, project.slug, revision.number])
    return redirect(f"{_next(request) or page}#comment-{comment.pk}")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def milestone_comment(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    profile = _person_or_404(request, slug)
    milestone = _milestone_or_404(request, profile, milestone_id)
    form = MilestoneCommentForm(request.POST)
    form.is_valid()
    checkin_id = form.cleaned_data.get("checkin")
    checkin = get_object_or_404(milestone.checkins, pk=checkin_id) if checkin_id else None
    key = str(checkin.pk) if checkin else ""
    try:
        comment = comments.comment_on_milestone(
            author=request.user,
            milestone=milestone,
            body=form.cleaned_data.get("body", ""),
            checkin=checkin,
        )
    except PermissionError:
        raise Http404("No such milestone") from None
    except ValidationError as e:
        form.add_service_errors(e)
        invalid = Discussion(key, "", "", [], form)
        context = _milestone_page(request, profile, milestone, invalid=invalid)
        return _discussion_or_page(request, MILESTONE, context, key)
    if request.htmx:
        context = _milestone_page(request, profile, milestone)
        return _discussion_or_page(request, MILESTONE, context, key)
    page = reverse("mentoring:milestone", args=[profile.slug, milestone.pk])
    return redirect(f"{_next(request) or page}#comment-{comment.pk}")


def _discussion_or_page(request: HttpRequest, page: str, context: dict, key: str) -> HttpResponse:
    """With htmx the one discussion that changed, else the whole page (a form to show again)."""
    if not request.htmx:
        return render(request, page, context)
    if page == REVISION:
        found = [d for _, items in context["groups"] for _, _, d in items if d.key == key]
        disc = found[0] if found else context["record"]
    else:
        found = [d for _, d in context["checkins"] if d.key == key]
        disc = found[0] if found else context["about"]
    return render(request, f"{THREADS}#discussion", {**context, "disc": disc})


# --- Threads ---------------------------------------------------------------------------------


@login_required
@require_POST
@vary_on_headers("HX-Request")
def comment_reply(request: HttpRequest, comment_id: int) -> HttpResponse:
    root = _thread_or_404(request, comment_id)
    form = ReplyForm(request.POST)
    form.is_valid()
    try:
        comments.comment_reply(author=request.user, thread=root, body=form.cleaned_data["body"])
    except PermissionError:
        raise Http404("No such thread") from None
    except ValidationError as e:
        form.add_service_errors(e)
        return _thread_response(request, root, reply=(root.pk, form))
    return _thread_response(request, root)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def thread_resolve(request: HttpRequest, comment_id: int) -> HttpResponse:
    return _set_resolved(request, comment_id, resolved=True)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def thread_reopen(request: HttpRequest, comment_id: int) -> HttpResponse:
    return _set_resolved(request, comment_id, resolved=False)


def _set_resolved(request: HttpRequest, comment_id: int, *, resolved: bool) -> HttpResponse:
    root = _thread_or_404(request, comment_id)
    try:
        root = comments.thread_set_resolved(thread=root, user=request.user, resolved=resolved)
    except PermissionError:
        raise Http404("No such thread") from None
    return _thread_response(request, root)


def _thread_response(
    request: HttpRequest, root: Comment, *, reply: tuple[int, ReplyForm] | None = None
) -> HttpResponse:
    """The thread again (htmx), the page with a reply to show again, or back to the page."""
    if not request.htmx and reply is None:
        return redirect(f"{_next(request) or _page_of(root)}#comment-{root.pk}")
    profile = root.owner.profile
    if root.revision_id:
        project = root.revision.project
        revision = _viewed_revision(request, root)
        context = _revision_page(request, profile, project, revision, reply=reply)
        threads = [t for _, items in context["groups"] for *_, d in items for t in d.threads]
        threads += context["record"].threads + context["outdated"]
        page = REVISION
    else:
        context = _milestone_page(request, profile, root.milestone, reply=reply)
        threads = [t for _, d in context["checkins"] for t in d.threads]
        threads += context["about"].threads
        page = MILESTONE
    if not request.htmx:
        return render(request, page, context)
    thread = next((t for t in threads if t.root.pk == root.pk), None)
    if thread is None:
        raise Http404("No such thread")
    return render(request, f"{THREADS}#thread", {**context, "thread": thread})


def _viewed_revision(request: HttpRequest, root: Comment) -> ProjectRevision:
    """The revision whose page the form was on (the thread's own when not said)."""
    number = request.POST.get("on", "")
    if number.isdigit():
        found = root.revision.project.revisions.filter(number=int(number)).first()
        if found is not None:
            return found
    return root.revision


def _page_of(root: Comment) -> str:
    slug = root.owner.profile.slug
    if root.revision_id:
        rev = root.revision
        return reverse("mentoring:revision", args=[slug, rev.project.slug, rev.number])
    return reverse("mentoring:milestone", args=[slug, root.milestone_id])
