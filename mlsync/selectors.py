"""Reads of Sync from MLflow for its pages: a project's connections with their latest sync, a
connection's history, one sync's report. Every read starts from a project the user owns
(projects.selectors.project_for_owner), so anyone else gets 404."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from projects.models import Project

from .models import SyncRun, TrackerConnection


def connections_of(*, project: Project) -> list[TrackerConnection]:
    """The project's connections, each with `latest` (its newest sync, or None): two queries."""
    newest = SyncRun.objects.filter(connection=OuterRef("pk")).order_by("-created_at", "-id")
    connections = list(
        project.tracker_connections.annotate(latest_id=Subquery(newest.values("id")[:1]))
    )
    latest = SyncRun.objects.in_bulk([c.latest_id for c in connections if c.latest_id])
    for connection in connections:
        connection.latest = latest.get(connection.latest_id)
    return connections


def connection_for_owner(*, project: Project, connection_id: int) -> TrackerConnection:
    """One of the project's connections, with `latest` set; 404 for any other id."""
    connection = get_object_or_404(project.tracker_connections, pk=connection_id)
    connection.latest = connection.syncs.first()
    return connection


def syncs_of(*, connection: TrackerConnection) -> QuerySet[SyncRun]:
    """The connection's syncs, newest first."""
    return connection.syncs.all()


def sync_for_owner(*, project: Project, sync_id: int) -> SyncRun:
    """One sync of one of the project's connections; 404 for any other id."""
    return get_object_or_404(
        SyncRun.objects.select_related("connection"), connection__project=project, pk=sync_id
    )
