from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from projects.models import Project, ProjectRevision, Skill
from projects.sections import CONTENT_FIELDS, SECTION_KEYS
from projects.services import (
    EditConflict,
    normalise_tags,
    project_create,
    project_delete,
    project_save,
    project_set_visibility,
    revision_restore,
    template_content,
)
from tests.factories import create_project, save_revision

pytestmark = pytest.mark.django_db


def _save(project: Project, *, author, base: int | None = None, note: str = "", **content):
    return project_save(
        project=project,
        author=author,
        base_number=project.current_revision.number if base is None else base,
        content=content,
        change_note=note,
    )


# --- Create ------------------------------------------------------------------------------------


def test_it_creates_a_project_with_revision_one_by_its_owner(alice):
    project = project_create(
        owner=alice,
        content={
            "title": "Ticket router",
            "summary": "Routes support tickets.",
            "status": "active",
            "tags": ["NLP", "pytorch"],
            "problem": "Tickets are routed by hand.",
            "success_metric": "macro_f1",
            "success_target": 0.85,
        },
        visibility="public",
        change_note="First write-up",
    )

    revision = project.current_revision
    assert project.revisions.count() == 1
    assert revision.number == 1
    assert revision.author == alice
    assert revision.change_note == "First write-up"
    assert revision.problem == "Tickets are routed by hand."
    assert revision.tags == ["nlp", "pytorch"]
    assert project.owner == alice
    assert project.slug == "ticket-router"
    assert project.visibility == "public"


def test_it_lists_every_field_written_as_changed_in_revision_one(alice):
    project = project_create(
        owner=alice,
        content={
            "title": "Ticket router",
            "summary": "Routes support tickets.",
            "status": "active",
            "tags": ["nlp"],
            "problem": "Tickets are routed by hand.",
            "results": "Macro-F1 0.86.",
            "success_metric": "macro_f1",
            "success_target": 0.85,
            "success_direction": "higher",
        },
    )

    assert project.current_revision.changed == [
        "title",
        "summary",
        "status",
        "tags",
        "problem",
        "results",
        "success_metric",
        "success_target",
        "success_direction",
    ]


def test_it_leaves_out_the_direction_when_no_metric_is_set(alice):
    project = project_create(owner=alice, content={"title": "Idea", "status": "idea"})

    assert project.current_revision.changed == ["title", "status"]


def test_it_notes_a_new_record_as_created_when_no_note_is_given(alice):
    project = create_project(owner=alice)

    assert project.current_revision.change_note == "Created"


def test_it_gives_each_of_an_owners_projects_its_own_slug(alice, bob):
    first = create_project(owner=alice, title="Fraud model")
    second = create_project(owner=alice, title="Fraud model")
    bobs = create_project(owner=bob, title="Fraud model")

    assert first.slug == "fraud-model"
    assert second.slug == "fraud-model-2"
    assert bobs.slug == "fraud-model"


def test_it_copies_the_first_revisions_title_summary_status_and_skills_to_the_project(alice):
    project = create_project(
        owner=alice, title="Churn", summary="Who leaves?", status="idea", tags="XGBoost, SQL"
    )

    project.refresh_from_db()
    assert (project.title, project.summary, project.status) == ("Churn", "Who leaves?", "idea")
    assert sorted(project.skills.values_list("name", flat=True)) == ["sql", "xgboost"]


# --- Save --------------------------------------------------------------------------------------


def test_it_saves_a_change_as_the_next_revision(alice, bob):
    project = create_project(owner=alice, problem="Old problem.")

    revision = _save(project, author=bob, note="Sharper problem", problem="New problem.")

    assert revision.number == 2
    assert revision.author == bob
    assert revision.change_note == "Sharper problem"
    assert revision.problem == "New problem."
    project.refresh_from_db()
    assert project.current_revision == revision
    assert project.revisions.count() == 2
    assert project.revisions.get(number=1).problem == "Old problem."


def test_it_records_only_the_fields_that_changed(alice):
    project = create_project(owner=alice)

    revision = _save(project, author=alice, results="It worked.", status="deployed")

    assert revision.changed == ["status", "results"]


def test_it_keeps_fields_left_out_of_a_save_as_they_were(alice):
    project = create_project(owner=alice, title="Churn", problem="Who leaves?", tags=["sql"])

    revision = _save(project, author=alice, results="It worked.")

    assert revision.title == "Churn"
    assert revision.problem == "Who leaves?"
    assert revision.tags == ["sql"]


def test_it_makes_no_revision_when_nothing_changed(alice):
    project = create_project(owner=alice, tags=["nlp"])
    content = project.current_revision.content()

    revision = _save(project, author=alice, **content)

    assert revision is None
    assert project.revisions.count() == 1


def test_it_makes_no_revision_when_tags_differ_only_in_case_and_spacing(alice):
    project = create_project(owner=alice, tags=["nlp", "pytorch"])

    revision = _save(project, author=alice, tags="  NLP ,pytorch,  nlp, ")

    assert revision is None
    assert project.revisions.count() == 1


def test_it_treats_an_empty_target_like_no_target(alice):
    project = create_project(owner=alice)

    assert _save(project, author=alice, success_target=None, repo_url="") is None


def test_it_updates_the_projects_copies_of_title_summary_status_and_skills(alice):
    project = create_project(
        owner=alice, title="Old", summary="Old summary", status="idea", tags=["sql"]
    )

    _save(project, author=alice, title="New", summary="New summary", status="deployed", tags="nlp")

    project.refresh_from_db()
    assert project.title == "New"
    assert project.summary == "New summary"
    assert project.status == "deployed"
    assert list(project.skills.values_list("name", flat=True)) == ["nlp"]


def test_it_refuses_an_edit_based_on_an_old_revision_and_writes_nothing(alice, bob):
    project = create_project(owner=alice, problem="First.")
    save_revision(project, problem="Second.")
    project.refresh_from_db()

    with pytest.raises(EditConflict) as caught:
        _save(project, author=bob, base=1, problem="Bob's overwrite.", title="Bob's")

    assert caught.value.base_number == 1
    assert caught.value.current.number == 2
    project.refresh_from_db()
    assert project.revisions.count() == 2
    assert project.current_revision.number == 2
    assert project.current_revision.problem == "Second."
    assert project.title != "Bob's"


def test_it_accepts_an_edit_based_on_the_current_revision_after_a_conflict(alice):
    project = create_project(owner=alice)
    save_revision(project, problem="Second.")
    project.refresh_from_db()
    with pytest.raises(EditConflict):
        _save(project, author=alice, base=1, problem="Mine.")

    revision = _save(project, author=alice, base=2, problem="Mine.")

    assert revision.number == 3
    assert revision.problem == "Mine."


# --- Restore -----------------------------------------------------------------------------------


def test_it_restores_an_old_revision_as_a_new_one_with_the_same_content(alice, bob):
    project = create_project(owner=alice, title="First", problem="One.", tags=["sql"])
    save_revision(project, title="Second", problem="Two.", tags=["nlp"], success_metric="f1")
    save_revision(project, results="Three.")
    project.refresh_from_db()
    old = project.revisions.get(number=1)

    restored = revision_restore(project=project, revision=old, author=bob)

    assert restored.number == 4
    assert restored.content() == old.content()
    assert restored.restored_from == 1
    assert restored.change_note == "Restored revision 1"
    assert restored.author == bob
    project.refresh_from_db()
    assert project.current_revision == restored
    assert project.title == "First"
    assert list(project.skills.values_list("name", flat=True)) == ["sql"]
    assert project.revisions.count() == 4


def test_it_keeps_every_revision_after_a_restore(alice):
    project = create_project(owner=alice, problem="One.")
    save_revision(project, problem="Two.")
    project.refresh_from_db()

    revision_restore(project=project, revision=project.revisions.get(number=1), author=alice)

    assert list(project.revisions.values_list("number", "problem")) == [
        (3, "One."),
        (2, "Two."),
        (1, "One."),
    ]


def test_it_makes_no_revision_when_restoring_the_current_one(alice):
    project = create_project(owner=alice)

    restored = revision_restore(project=project, revision=project.current_revision, author=alice)

    assert restored is None
    assert project.revisions.count() == 1


# --- Visibility and delete ---------------------------------------------------------------------


def test_it_changes_visibility_without_making_a_revision(alice):
    project = create_project(owner=alice, visibility="private")

    project_set_visibility(project=project, visibility="public")

    project.refresh_from_db()
    assert project.visibility == "public"
    assert project.revisions.count() == 1
    assert project.current_revision.number == 1


def test_it_refuses_a_visibility_that_does_not_exist(alice):
    project = create_project(owner=alice, visibility="private")

    with pytest.raises(ValidationError):
        project_set_visibility(project=project, visibility="everyone")

    project.refresh_from_db()
    assert project.visibility == "private"


def test_it_deletes_a_project_with_all_its_revisions(alice):
    project = create_project(owner=alice, tags=["sql"])
    save_revision(project, problem="Two.")
    other = create_project(owner=alice)

    project_delete(project=project)

    assert not Project.objects.filter(pk=project.pk).exists()
    assert not ProjectRevision.objects.filter(project_id=project.pk).exists()
    assert ProjectRevision.objects.filter(project=other).count() == 1
    assert Skill.objects.filter(name="sql").exists()  # skills are shared, not owned


def test_it_deletes_an_owners_projects_and_revisions_with_their_account(alice, bob):
    project = create_project(owner=alice)
    save_revision(project, author=bob, problem="Bob helped.")
    bobs = create_project(owner=bob)

    alice.delete()

    assert not ProjectRevision.objects.filter(project_id=project.pk).exists()
    assert bobs.revisions.count() == 1


def test_it_keeps_a_revision_when_its_author_account_is_deleted(alice, bob):
    project = create_project(owner=alice)
    save_revision(project, author=bob, problem="Bob helped.")

    bob.delete()

    revision = project.revisions.get(number=2)
    assert revision.author is None
    assert revision.problem == "Bob helped."


# --- Tags and template -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("PyTorch, NLP", ["pytorch", "nlp"]),
        (["  pytorch  ", "nlp "], ["pytorch", "nlp"]),
        ("nlp, NLP, Nlp ,nlp", ["nlp"]),
        ("feature   Engineering", ["feature engineering"]),
        (", , ,", []),
        ("", []),
        ([], []),
        ("b, a, b, c", ["b", "a", "c"]),
        ("x" * 50, ["x" * 40]),
    ],
)
def test_it_normalises_tags_to_trimmed_unique_lowercase_words(given, expected):
    assert normalise_tags(given) == expected


def test_it_stores_tags_normalised(alice):
    project = create_project(owner=alice, tags="  PyTorch , nlp,NLP ")

    assert project.current_revision.tags == ["pytorch", "nlp"]
    assert sorted(project.skills.values_list("name", flat=True)) == ["nlp", "pytorch"]


def test_it_offers_a_prompt_for_every_section_in_the_template():
    content = template_content()

    assert set(content) == set(SECTION_KEYS)
    assert all(text.strip() for text in content.values())
    assert set(content) <= set(CONTENT_FIELDS)
