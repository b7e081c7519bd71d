"""Reading and discussing an engineer's work: the engineer and their current mentors only.

Everything else answers 404. Comment, reply, resolve and reopen are real form posts: with htmx
they answer with the updated discussion or thread (`_threads.html#discussion`, `#thread`);
without it they redirect back to the page, to the thread's anchor. Invalid input comes back with
status 200, the errors and the typed text.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from milestones.models import Milestone
from projects.models import Project, ProjectRevision
from projects.sections import SECTIONS_BY_KEY

from ..models import Comment, Profile
from . import comments, selectors
from . import review_pages as pages
from .review_forms import MilestoneCommentForm, ReplyForm, ResultsCommentForm, RevisionCommentForm
from .threads import thread_for_viewer

PERSON = "portfolio/review/person.html"
REVISION = "portfolio/review/revision.html"
MILESTONE = "portfolio/review/milestone.html"
THREADS = "portfolio/review/_threads.html"


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
    return render(request, REVISION, pages.revision_page(request, profile, project, None))


@login_required
@require_GET
def revision_review(
    request: HttpRequest, slug: str, project_slug: str, number: int
) -> HttpResponse:
    profile = _person_or_404(request, slug)
    project = _project_or_404(request, profile, project_slug)
    revision = pages.revision_or_404(project, number)
    return render(request, REVISION, pages.revision_page(request, profile, project, revision))


@login_required
@require_GET
def milestone_review(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    profile = _person_or_404(request, slug)
    milestone = _milestone_or_404(request, profile, milestone_id)
    return render(request, MILESTONE, pages.milestone_page(request, profile, milestone))


# --- Comments --------------------------------------------------------------------------------


@login_required
@require_POST
@vary_on_headers("HX-Request")
def revision_comment(
    request: HttpRequest, slug: str, project_slug: str, number: int
) -> HttpResponse:
    profile = _person_or_404(request, slug)
    project = _project_or_404(request, profile, project_slug)
    revision = pages.revision_or_404(project, number)
    form = RevisionCommentForm(request.POST)
    key = _section_or_404(form)
    invalid = None
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
        invalid = pages.Discussion(key, "", "", [], form)
    if invalid is None and not request.htmx:
        page = reverse("mentoring:revision", args=[profile.slug, project.slug, revision.number])
        return redirect(f"{pages.next_url(request) or page}#comment-{comment.pk}")
    context = pages.revision_page(request, profile, project, revision, invalid=invalid)
    return _discussion_or_page(request, REVISION, context, key)


@login_required
@require_POST
def results_comment(request: HttpRequest, slug: str, project_slug: str) -> HttpResponse:
    """Feedback pinned to a run or a chart of the project, posted from its result pages: back
    there with a message, the thread on the review page (and in the engineer's notifications)."""
    profile = _person_or_404(request, slug)
    project = _project_or_404(request, profile, project_slug)
    form = ResultsCommentForm(request.POST)
    form.is_valid()
    run_id = form.cleaned_data.get("run")
    review = reverse("mentoring:project", args=[profile.slug, project.slug])
    try:
        comment = comments.comment_on_results(
            author=request.user,
            project=project,
            body=form.cleaned_data.get("body", ""),
            run=get_object_or_404(project.runs.current(), pk=run_id) if run_id else None,
            metric=form.cleaned_data.get("metric") or "",
            run_ids=form.run_ids(),
        )
    except PermissionError:
        raise Http404("No such project") from None
    except ValidationError as e:
        for message in (m for ms in e.message_dict.values() for m in ms):
            messages.error(request, message)
        return redirect(pages.next_url(request) or review)
    messages.success(
        request, f"Feedback on {comment.pin_label} saved with the threads of “{project.title}”."
    )
    return redirect(pages.next_url(request) or f"{review}#comment-{comment.pk}")


def _section_or_404(form: RevisionCommentForm) -> str:
    """The section key the comment is about ("" for the whole record); 404 for a made-up one."""
    form.is_valid()
    key = form.cleaned_data.get("section", "")
    if key and key not in SECTIONS_BY_KEY:
        raise Http404("No such section")
    return key


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
        invalid = pages.Discussion(key, "", "", [], form)
        context = pages.milestone_page(request, profile, milestone, invalid=invalid)
        return _discussion_or_page(request, MILESTONE, context, key)
    if request.htmx:
        context = pages.milestone_page(request, profile, milestone)
        return _discussion_or_page(request, MILESTONE, context, key)
    page = reverse("mentoring:milestone", args=[profile.slug, milestone.pk])
    return redirect(f"{pages.next_url(request) or page}#comment-{comment.pk}")


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
        return redirect(f"{pages.next_url(request) or _page_of(root)}#comment-{root.pk}")
    revision = _viewed_revision(request, root) if root.revision_id else None
    if not request.htmx:
        profile = root.owner.profile
        if revision is not None:
            project = root.revision.project
            context = pages.revision_page(request, profile, project, revision, reply=reply)
            return render(request, REVISION, context)
        return render(
            request, MILESTONE, pages.milestone_page(request, profile, root.milestone, reply=reply)
        )
    thread = thread_for_viewer(viewer=request.user, root=root, revision=revision)
    if thread is None:
        raise Http404("No such thread")
    context = pages.thread_context(request, root, revision, reply)
    return render(request, f"{THREADS}#thread", {**context, "thread": thread})


def _page_with_reply(
    request: HttpRequest, root: Comment, revision: ProjectRevision | None, reply
) -> HttpResponse:
    """The whole page again, with the reply form's text and errors (no JavaScript)."""
    profile = root.owner.profile
    if revision is not None:
        project = root.revision.project
        context = pages.revision_page(request, profile, project, revision, reply=reply)
        return render(request, REVISION, context)
    context = pages.milestone_page(request, profile, root.milestone, reply=reply)
    return render(request, MILESTONE, context)


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
