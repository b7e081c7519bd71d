"""Sync from MLflow, the owner's pages: a project's connections (add, edit, remove, sync now),
a connection's history and a sync's report. The project comes from project_for_owner, so every
page answers 404 to anyone but its owner, as the project's other pages do."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from projects.selectors import project_for_owner

from . import selectors, services
from .forms import ConnectionForm

SYNCS_PER_PAGE = 25


def _stop_polling_when_done(response: HttpResponse, sync) -> HttpResponse:
    if sync is None or sync.is_done:
        # 286 tells htmx to stop polling; the swap still shows the final state.
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_http_methods(["GET", "POST"])
def connections(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's connections and the form to add one."""
    project = project_for_owner(user=request.user, slug=slug)
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.connection_create(project=project, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Cairn follows {made.label} now; press “Sync now” to start.")
            return redirect("mlsync:connections", slug=project.slug)
    context = {
        "project": project,
        "connections": selectors.connections_of(project=project),
        "form": form,
    }
    return render(request, "mlsync/connections.html", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def connection_detail(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    """A connection and its sync history; for htmx, its card (polled while a sync runs)."""
    project = project_for_owner(user=request.user, slug=slug)
    connection = selectors.connection_for_owner(project=project, connection_id=connection_id)
    context = {"project": project, "connection": connection}
    if request.htmx:
        response = render(request, "mlsync/connections.html#connection-card", context)
        return _stop_polling_when_done(response, connection.latest)
    pages = Paginator(selectors.syncs_of(connection=connection), SYNCS_PER_PAGE)
    context["page"] = pages.get_page(request.GET.get("page"))
    return render(request, "mlsync/connection.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def connection_edit(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    """Change what a connection reads, its schedule, and replace or remove its credentials."""
    project = project_for_owner(user=request.user, slug=slug)
    connection = selectors.connection_for_owner(project=project, connection_id=connection_id)
    form = ConnectionForm(request.POST or None, connection=connection)
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_update(connection=connection, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Saved. The next sync reads with these settings.")
            return redirect("mlsync:connections", slug=project.slug)
    context = {"project": project, "connection": connection, "form": form}
    return render(request, "mlsync/connection_edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def connection_delete(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    """Stop following a server or store; the runs it brought in stay."""
    project = project_for_owner(user=request.user, slug=slug)
    connection = selectors.connection_for_owner(project=project, connection_id=connection_id)
    if request.method == "POST":
        services.connection_delete(connection=connection)
        messages.success(request, f"Cairn no longer follows {connection.label}; its runs stay.")
        return redirect("mlsync:connections", slug=project.slug)
    context = {"project": project, "connection": connection}
    return render(request, "mlsync/connection_delete.html", context)


@login_required
@require_POST
def sync_now(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    """Queue a sync; htmx gets the connection's card back, polling until the sync ends."""
    project = project_for_owner(user=request.user, slug=slug)
    connection = selectors.connection_for_owner(project=project, connection_id=connection_id)
    sync = services.sync_now(connection=connection)
    if not request.htmx:
        return redirect("mlsync:report", slug=project.slug, sync_id=sync.pk)
    sync.refresh_from_db()
    connection.refresh_from_db()
    connection.latest = sync
    context = {"project": project, "connection": connection}
    return render(request, "mlsync/connections.html#connection-card", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def sync_report(request: HttpRequest, slug: str, sync_id: int) -> HttpResponse:
    """What one sync did: runs added, updated and deleted, points, errors, timings."""
    project = project_for_owner(user=request.user, slug=slug)
    sync = selectors.sync_for_owner(project=project, sync_id=sync_id)
    took = None
    if sync.started_at and sync.finished_at:
        took = (sync.finished_at - sync.started_at).total_seconds()
    context = {"project": project, "sync": sync, "connection": sync.connection, "took": took}
    if request.htmx:
        response = render(request, "mlsync/sync_report.html#sync-status", context)
        return _stop_polling_when_done(response, sync)
    return render(request, "mlsync/sync_report.html", context)
