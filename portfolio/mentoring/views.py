"""Mentorships from both sides: the engineer's invitations and mentors, the mentor's dashboard
with their mentees and the inbox of their work to acknowledge."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from projects.wording import plural

from ..models import Mentorship, MentorshipEvent, Notification
from . import mentorships, selectors
from .forms import InvitationForm
from .notifications import notifications_mark_read

NEW_INVITATION_KEY = "cairn-new-invitation"
AUDIT_ROWS = 50
PAST_ROWS = 20
INBOX_ROWS = 50

# The status of the page that explains why an invitation link cannot be used.
REFUSALS = {
    "unknown": 404,
    "expired": 410,
    "used": 410,
    "revoked": 410,
    "own": 400,
    "already": 200,
}


def _name(user: AbstractBaseUser) -> str:
    profile = getattr(user, "profile", None)
    return profile.name if profile else user.get_username()


# --- The engineer's side ----------------------------------------------------------------------


def _mentors_context(engineer: AbstractBaseUser) -> dict:
    rows = list(
        Mentorship.objects.filter(engineer=engineer).select_related("mentor__profile")[:200]
    )
    current = [m for m in rows if m.state == "active"]
    pending = [m for m in rows if m.state == "invited"]
    past = [m for m in rows if m.state in ("revoked", "expired")][:PAST_ROWS]
    events = MentorshipEvent.objects.filter(mentorship__engineer=engineer).select_related(
        "actor__profile", "mentorship__mentor__profile"
    )[:AUDIT_ROWS]
    return {"current": current, "pending": pending, "past": past, "events": events}


@login_required
@require_http_methods(["GET", "POST"])
def mentors(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None, engineer=request.user)
    if request.method == "POST" and form.is_valid():
        invitation, link = form.save(site_url=request.build_absolute_uri("/"))
        # Shown once, after a redirect, so that reloading the page makes no second invitation.
        request.session[NEW_INVITATION_KEY] = {"id": invitation.pk, "link": link}
        return redirect("mentoring:mentors")
    new_link = new_invitation = None
    shown = request.session.pop(NEW_INVITATION_KEY, None)
    if shown:
        new_invitation = Mentorship.objects.filter(engineer=request.user, pk=shown["id"]).first()
        new_link = shown["link"] if new_invitation else None
    context = {
        "form": form,
        "new_link": new_link,
        "new_invitation": new_invitation,
        **_mentors_context(request.user),
    }
    return render(request, "portfolio/mentoring/mentors.html", context)


@login_required
@require_POST
def mentorship_revoke(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    mentorship = get_object_or_404(
        Mentorship.objects.select_related("mentor__profile"),
        engineer=request.user,
        pk=mentorship_id,
    )
    was = mentorship.state
    mentorships.mentorship_revoke(mentorship=mentorship, actor=request.user)
    if was == "active":
        name = _name(mentorship.mentor)
        messages.success(request, f"{name} no longer mentors you; their access ended now.")
    elif was == "invited":
        messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("mentoring:mentors")


# --- Accepting an invitation ------------------------------------------------------------------


def _refused(request: HttpRequest, error: mentorships.InvitationError) -> HttpResponse:
    return render(
        request,
        "portfolio/mentoring/invitation.html",
        {"refusal": error.reason, "mentorship": error.mentorship},
        status=REFUSALS.get(error.reason, 404),
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            mentorship = mentorships.mentorship_accept(token=token, mentor=request.user)
        except mentorships.InvitationError as error:
            return _refused(request, error)
        name = _name(mentorship.engineer)
        messages.success(request, f"You now mentor {name}. Their shared work is open to you.")
        return redirect("mentoring:dashboard")
    try:
        mentorship = mentorships.invitation_for_token(token=token)
    except mentorships.InvitationError as error:
        return _refused(request, error)
    user = request.user
    if not user.is_authenticated:
        mentorships.invitation_remember(session=request.session, token=token)
    if user.is_authenticated and mentorship.engineer_id == user.pk:
        refusal = "own"
    elif selectors.is_mentor_of(user, mentorship.engineer_id):
        refusal = "already"
    else:
        refusal = None
    return render(
        request,
        "portfolio/mentoring/invitation.html",
        {"mentorship": mentorship, "refusal": refusal, "preview": True},
    )


# --- The mentor's side ------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    inbox = selectors.inbox_for(request.user, limit=INBOX_ROWS)
    more = inbox["total"] - inbox["shown"]
    return render(request, "portfolio/mentoring/dashboard.html", {"inbox": inbox, "more": more})


@login_required
@require_POST
@vary_on_headers("HX-Request")
def inbox_ack(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(
        Notification, pk=item_id, recipient=request.user, kind__in=Notification.INBOX_KINDS
    )
    notifications_mark_read(user=request.user, ids=[item.pk])
    if request.htmx:
        # The row goes (an empty swap); the counts are swapped out of band.
        inbox = selectors.inbox_for(request.user, limit=0)
        response = render(
            request, "portfolio/mentoring/inbox_counts.html", {"inbox": inbox, "oob": True}
        )
        # The header's unread count listens for this and fetches itself again.
        return trigger_client_event(response, "notifications-changed")
    return redirect("mentoring:dashboard")


@login_required
@require_POST
def inbox_ack_all(request: HttpRequest) -> HttpResponse:
    engineer = request.POST.get("engineer") or request.GET.get("engineer")
    items = selectors.inbox_items(request.user)
    if engineer:
        try:
            items = items.filter(engineer_id=int(engineer))
        except ValueError:
            raise Http404 from None
    done = notifications_mark_read(user=request.user, ids=list(items.values_list("pk", flat=True)))
    if done:
        messages.success(request, f"Acknowledged {plural(done, 'item')}.")
    return redirect("mentoring:dashboard")
