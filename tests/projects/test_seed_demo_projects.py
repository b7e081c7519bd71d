from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.models import Project, ProjectRevision

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _demo_projects():
    return Project.objects.filter(owner__username="demo").select_related("current_revision")


def test_it_seeds_three_projects_one_per_visibility():
    output = _seed()

    projects = _demo_projects()
    assert sorted(p.visibility for p in projects) == ["mentors", "private", "public"]
    assert "3 projects and" in output


def test_it_grows_each_demo_project_over_several_revisions():
    _seed()

    for project in _demo_projects():
        numbers = list(project.revisions.values_list("number", flat=True))
        assert len(numbers) > 1, project.title
        assert numbers == list(range(len(numbers), 0, -1))
        assert project.current_revision.number == len(numbers)
        assert all(note for note in project.revisions.values_list("change_note", flat=True))


def test_it_gives_the_public_demo_project_a_success_metric():
    _seed()

    public = _demo_projects().get(visibility="public")
    assert public.current_revision.success_metric
    assert public.current_revision.success_target is not None


def test_it_keeps_the_projects_copies_in_step_with_the_current_revision():
    _seed()

    for project in _demo_projects():
        revision = project.current_revision
        assert (project.title, project.summary, project.status) == (
            revision.title,
            revision.summary,
            revision.status,
        )
        assert sorted(project.skills.values_list("name", flat=True)) == sorted(revision.tags)


def test_it_adds_no_project_or_revision_when_run_twice():
    _seed()
    projects, revisions = Project.objects.count(), ProjectRevision.objects.count()

    output = _seed()

    assert Project.objects.count() == projects
    assert ProjectRevision.objects.count() == revisions
    assert "0 projects and 0 imports added" in output


def test_the_demo_engineer_can_read_the_history_of_each_project(client):
    _seed()
    client.post(reverse("login"), {"username": "demo", "password": "demo"})

    for project in _demo_projects():
        response = client.get(reverse("projects:history", args=[project.slug]))
        assert response.status_code == 200
        assert response.text.count('data-testid="revision-row"') == project.revisions.count()
