"""The edit page's use case: visibility and content saved by one service, in one transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import services
from projects.models import Project
from projects.services import EditConflict, project_edit
from tests.factories import create_project, save_revision

pytestmark = pytest.mark.django_db


def _edit(project: Project, *, base: int | None = None, visibility: str, **content):
    return project_edit(
        project=project,
        author=project.owner,
        base_number=project.current_revision.number if base is None else base,
        content=content,
        visibility=visibility,
        change_note="edit",
    )


def test_it_saves_the_content_and_the_visibility_together(alice):
    project = create_project(owner=alice, visibility="private")

    edit = _edit(project, visibility="public", results="AUC 0.91")

    project.refresh_from_db()
    assert project.visibility == "public"
    assert edit.visibility_changed
    assert edit.revision.number == 2
    assert project.current_revision.results == "AUC 0.91"


def test_it_changes_only_the_visibility_without_a_revision(alice):
    project = create_project(owner=alice, visibility="private")

    edit = _edit(project, visibility="mentors")

    assert edit.revision is None
    assert edit.visibility_changed
    assert project.revisions.count() == 1


def test_it_reports_nothing_changed_when_nothing_did(alice):
    project = create_project(owner=alice, visibility="private")

    edit = _edit(project, visibility="private")

    assert edit.revision is None
    assert not edit.visibility_changed


def test_a_conflicting_edit_leaves_the_visibility_as_it_was(alice):
    project = create_project(owner=alice, visibility="private")
    save_revision(project, results="someone else's edit")

    with pytest.raises(EditConflict):
        _edit(project, base=1, visibility="public", results="mine")

    project.refresh_from_db()
    assert project.visibility == "private"
    assert project.current_revision.number == 2


def test_a_refused_revision_leaves_the_visibility_as_it_was(alice):
    project = create_project(owner=alice, visibility="private")

    with pytest.raises(ValidationError):
        _edit(project, visibility="public", status="not-a-status")

    project.refresh_from_db()
    assert project.visibility == "private"
    assert project.revisions.count() == 1


def test_a_failing_revision_write_leaves_the_visibility_as_it_was(alice, monkeypatch):
    project = create_project(owner=alice, visibility="private")

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_write_revision", broken)

    with pytest.raises(RuntimeError):
        _edit(project, visibility="public", results="new")

    project.refresh_from_db()
    assert project.visibility == "private"


def _post_edit(client, project: Project, problem: str):
    form = {
        "title": "Router",
        "status": "active",
        "problem": problem,
        "visibility": "public",
        "base_revision": "1",
        "success_direction": "higher",
    }
    return client.post(reverse("projects:edit", args=[project.slug]), form)


def test_the_edit_page_saves_both_through_one_service(alice_client, alice):
    project = create_project(owner=alice, visibility="private", title="Router")

    response = _post_edit(alice_client, project, "New problem statement.")

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.visibility == "public"
    assert project.current_revision.number == 2


def test_the_edit_page_keeps_the_visibility_on_a_conflict(alice_client, alice):
    project = create_project(owner=alice, visibility="private", title="Router")
    save_revision(project, problem="Changed in another tab.")

    response = _post_edit(alice_client, project, "My version.")

    assert response.status_code == 409
    project.refresh_from_db()
    assert project.visibility == "private"
