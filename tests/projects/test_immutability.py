from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects import urls as project_urls
from projects.artifacts import artifact_store
from projects.models import Project, ProjectRevision
from tests.factories import create_project, import_results, sample, save_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    project = create_project(owner=alice, title="Fraud model", problem="Chargebacks.")
    save_revision(project, problem="Chargebacks cost €1.2M.", change_note="Numbers")
    project.refresh_from_db()
    return project


@pytest.fixture
def revision(project):
    return project.revisions.get(number=1)


def _rows() -> list[dict]:
    """Every stored revision as the database holds it."""
    return list(ProjectRevision.objects.order_by("pk").values())


# --- The model and its queryset ----------------------------------------------------------------


def test_it_refuses_to_save_an_existing_revision_and_leaves_the_row_unchanged(revision):
    before = _rows()
    revision.problem = "Rewritten history."

    with pytest.raises(TypeError):
        revision.save()

    assert _rows() == before
    revision.refresh_from_db()
    assert revision.problem == "Chargebacks."


def test_it_refuses_to_save_an_existing_revision_even_with_update_fields(revision):
    before = _rows()
    revision.change_note = "Sneaky"

    with pytest.raises(TypeError):
        revision.save(update_fields=["change_note"])

    assert _rows() == before


def test_it_refuses_to_delete_a_revision(revision):
    before = _rows()

    with pytest.raises(TypeError):
        revision.delete()

    assert _rows() == before


def test_it_refuses_a_bulk_update_of_revisions(project):
    before = _rows()

    with pytest.raises(TypeError):
        ProjectRevision.objects.filter(project=project).update(problem="Rewritten.")
    with pytest.raises(TypeError):
        project.revisions.update(change_note="Rewritten.")

    assert _rows() == before


def test_it_refuses_a_bulk_delete_of_revisions(project):
    before = _rows()

    with pytest.raises(TypeError):
        ProjectRevision.objects.filter(project=project).delete()
    with pytest.raises(TypeError):
        ProjectRevision.objects.all().delete()
    with pytest.raises(TypeError):
        project.revisions.all().delete()

    assert _rows() == before


# --- No URL edits a revision -------------------------------------------------------------------

# What an owner's POST to each URL of projects/urls.py does to the stored revisions.
POST_EFFECTS = {
    "list": "refused",
    "create": "new project",
    "preview": "nothing",
    "detail": "refused",
    "edit": "new revision",
    "history": "refused",
    "diff": "refused",
    "revision": "refused",
    "restore": "new revision",
    "delete": "project deleted",
    "export-md": "refused",
    "export-json": "refused",
    "import-upload": "results only",
    "import": "refused",
    "import-progress": "refused",
    "import-retry": "results only",
    "import-delete": "results only",
    "import-preview": "results only",
    "runs": "refused",
    "run": "refused",
    "results": "refused",
    "chart": "refused",
    "chart-data": "refused",
    "chart-live": "refused",
    "chart-keys": "refused",
    "artifact": "refused",
    "artifact-file": "refused",
    "compare": "refused",
    "stats": "refused",
    "metric-direction": "results only",
}


def test_it_knows_what_a_post_does_to_every_projects_url():
    names = {pattern.name for pattern in project_urls.urlpatterns}

    assert names == set(POST_EFFECTS)


def _post_for(name: str, project: Project) -> tuple[str, dict]:
    current = project.current_revision
    edit = {
        **{k: v for k, v in current.content().items() if v is not None},
        "tags": ", ".join(current.tags),
        "visibility": project.visibility,
        "base_revision": current.number,
        "problem": "A new problem statement.",
    }
    args = {
        "list": [],
        "create": [],
        "preview": [],
        "revision": [project.slug, 1],
        "restore": [project.slug, 1],
    }.get(name, [project.slug])
    if name in ("import", "import-retry", "import-delete", "import-preview", "run"):
        imp = import_results(project, sample("metrics.jsonl"))
        args = [project.slug, imp.runs.get().pk if name == "run" else imp.pk]
    if name in ("artifact", "artifact-file"):
        run = import_results(project, sample("metrics.jsonl")).runs.get()
        artifact = artifact_store(run=run, path="notes.txt", stream=io.BytesIO(b"notes"))
        args = [artifact.pk] if name == "artifact" else [artifact.pk, "notes.txt"]
    data = {
        "create": {
            "title": "Another project",
            "status": "idea",
            "visibility": "private",
            "success_direction": "higher",
        },
        "preview": {"field": "problem", "problem": "**bold**"},
        "edit": edit,
        "delete": {"confirm_title": project.title},
        "import-upload": {
            "files": SimpleUploadedFile("metrics.jsonl", sample("metrics.jsonl").read_bytes())
        },
    }.get(name, {})
    return reverse(f"projects:{name}", args=args), data


@pytest.mark.parametrize("name", POST_EFFECTS)
def test_no_post_to_a_projects_url_changes_a_stored_revision(alice_client, project, name):
    url, data = _post_for(name, project)
    before = _rows()
    revisions_of_project = project.revisions.count()

    response = alice_client.post(url, data)

    effect = POST_EFFECTS[name]
    after = _rows()
    if effect == "refused":
        assert response.status_code == 405
        assert after == before
    elif effect == "nothing":
        assert response.status_code == 200
        assert after == before
    elif effect == "results only":
        assert response.status_code == 302
        assert after == before
    elif effect == "project deleted":
        assert response.status_code == 302
        assert not Project.objects.filter(pk=project.pk).exists()
        assert after == [row for row in before if row["project_id"] != project.pk]
    else:
        assert response.status_code == 302
        # Every row that was there is there unchanged; only new rows were added.
        assert after[: len(before)] == before
        assert len(after) == len(before) + 1
        if effect == "new revision":
            assert project.revisions.count() == revisions_of_project + 1
        else:
            assert after[-1]["project_id"] != project.pk
            assert after[-1]["number"] == 1


# --- The admin reads revisions and never writes them -------------------------------------------


def _admin_url(action: str, *args) -> str:
    return reverse(f"admin:projects_projectrevision_{action}", args=args)


def test_the_admin_lists_revisions(admin_client, project):
    response = admin_client.get(_admin_url("changelist"))

    assert response.status_code == 200
    assert "Fraud model" in response.text
    assert "Numbers" in response.text


def test_the_admin_shows_a_revision_read_only(admin_client, revision):
    response = admin_client.get(_admin_url("change", revision.pk))

    assert response.status_code == 200
    assert "Chargebacks." in response.text
    assert 'name="_save"' not in response.text
    assert 'name="_continue"' not in response.text
    assert 'name="problem"' not in response.text
    assert "<textarea" not in response.text


def test_the_admin_refuses_a_post_to_a_revisions_change_page(admin_client, revision):
    before = _rows()

    response = admin_client.post(
        _admin_url("change", revision.pk),
        {"project": revision.project_id, "number": 1, "problem": "Rewritten.", "_save": "Save"},
    )

    assert response.status_code == 403
    assert _rows() == before


def test_the_admin_refuses_to_delete_a_revision(admin_client, revision):
    before = _rows()

    assert admin_client.get(_admin_url("delete", revision.pk)).status_code == 403
    assert admin_client.post(_admin_url("delete", revision.pk), {"post": "yes"}).status_code == 403

    assert _rows() == before


def test_the_admin_refuses_to_bulk_delete_revisions(admin_client, project):
    before = _rows()

    response = admin_client.post(
        _admin_url("changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [r.pk for r in project.revisions.all()],
            "post": "yes",
        },
    )

    # No delete action is offered, so the changelist comes back and nothing is deleted.
    assert response.status_code == 200
    assert 'name="action"' not in response.text
    assert _rows() == before


def test_the_admin_refuses_to_add_a_revision(admin_client, project):
    before = _rows()

    assert admin_client.get(_admin_url("add")).status_code == 403
    response = admin_client.post(
        _admin_url("add"),
        {"project": project.pk, "number": 9, "title": "Forged", "status": "idea"},
    )

    assert response.status_code == 403
    assert _rows() == before


def test_the_admin_saving_a_project_leaves_its_revisions_alone(admin_client, project):
    revisions = list(project.revisions.order_by("number"))
    before = _rows()
    data = {
        "owner": project.owner_id,
        "slug": project.slug,
        "visibility": "public",
        "revisions-TOTAL_FORMS": len(revisions),
        "revisions-INITIAL_FORMS": len(revisions),
        "revisions-MIN_NUM_FORMS": 0,
        "revisions-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for i, r in enumerate(revisions):
        data |= {
            f"revisions-{i}-id": r.pk,
            f"revisions-{i}-project": project.pk,
            f"revisions-{i}-problem": "Rewritten.",
            f"revisions-{i}-change_note": "Rewritten.",
            f"revisions-{i}-DELETE": "on",
        }

    response = admin_client.post(reverse("admin:projects_project_change", args=[project.pk]), data)

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.visibility == "public"
    assert _rows() == before
