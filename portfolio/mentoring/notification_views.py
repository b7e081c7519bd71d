"""Notifications: the page, the header's unread count (htmx), opening one, marking all read,
and the choice of emails (right away, a daily digest, or none)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from projects.wording import plural

from ..accounts import services
from ..models import Notification, NotifyChoice
from . import selectors
from .notification_forms import NotificationSettingsForm
from .notifications import notifications_mark_read

PER_PAGE = 50
SHOW = ("all", "unread")
SAVED = {
    NotifyChoice.IMMEDIATE: "Saved: Cairn emails you each notification as it comes.",
    NotifyChoice.DAILY: "Saved: Cairn emails you one digest a day when something is unread.",
    NotifyChoice.NONE: "Saved: Cairn sends you no notification emails.",
}


def _show(value: str | None) -> str:
    return value if value in SHOW else "all"


def _page(user: AbstractBaseUser, show: str, number: str | int | None) -> tuple[Page, list[dict]]:
    items = selectors.notifications_visible_to(user).order_by("-created_at", "-id")
    if show == "unread":
        items = items.filter(read_at__isnull=True)
    # Page through ids, then join the related rows for one page only.
    page = Paginator(items.values_list("pk", flat=True), PER_PAGE).get_page(number)
    rows = selectors.notification_rows(
        Notification.objects.filter(pk__in=list(page.object_list)).order_by("-created_at", "-id")
    )
    return page, rows


def _list_context(request: HttpRequest, show: str, number: str | int | None) -> dict:
    page, rows = _page(request.user, show, number)
    return {
        "page": page,
        "rows": rows,
        "show": show,
        "unread": selectors.unread_count(request.user),
    }


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    show = _show(request.GET.get("show"))
    context = _list_context(request, show, request.GET.get("page"))
    context["profile"] = services.profile_get_or_create(user=request.user)
    return render(request, "portfolio/notifications/list.html", context)


@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    # Polled from the header of every page: one COUNT query, and nothing for a visitor.
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    count = selectors.unread_count(request.user)
    response = render(request, "portfolio/notifications/count.html", {"count": count})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@vary_on_headers("HX-Request")
def mark_all_read(request: HttpRequest) -> HttpResponse:
    done = notifications_mark_read(user=request.user)
    show = _show(request.POST.get("show"))
    if request.htmx:
        # The list comes back read, and the header's count is swapped out of band.
        context = {**_list_context(request, show, 1), "oob": True}
        return render(request, "portfolio/notifications/marked.html", context)
    if done:
        messages.success(request, f"Marked {plural(done, 'notification')} as read.")
    url = reverse("mentoring:notifications")
    return redirect(f"{url}?show=unread" if show == "unread" else url)


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(
        selectors.notifications_visible_to(request.user), pk=notification_id
    )
    rows = selectors.notification_rows(Notification.objects.filter(pk=notification.pk))
    if not rows:
        raise Http404
    notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(rows[0]["url"])


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    profile = services.profile_get_or_create(user=request.user)
    form = NotificationSettingsForm(
        request.POST or None, initial={"email_notifications": profile.email_notifications}
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(profile=profile, data=form.cleaned_data)
        messages.success(request, SAVED[profile.email_notifications])
        return redirect("mentoring:notification-settings")
    context = {
        "form": form,
        "profile": profile,
        "choices": NotifyChoice,
        "digest_hour": settings.CAIRN_DIGEST_HOUR,
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "portfolio/notifications/settings.html", context)
