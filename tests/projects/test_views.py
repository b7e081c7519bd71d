from __future__ import annotations

import datetime
import io
import json
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.template.defaultfilters import date as date_filter
from django.urls import reverse

from projects import urls as project_urls
from projects.artifacts import artifact_store
from projects.models import (
    ExperimentImport,
    ImportFile,
    MetricSeries,
    Project,
    ProjectRevision,
    Run,
    RunArtifact,
)
from projects.sections import SECTION_KEYS, SECTIONS
from projects.services import template_content
from tests.factories import create_project, import_results, sample, save_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    project = create_project(
        owner=alice,
        title="Fraud model",
        summary="Scores card payments.",
        status="active",
        tags=["xgboost", "sql"],
        problem="Chargebacks cost money.",
        change_note="First write-up",
    )
    save_revision(project, results="Recall 0.63 at a 1% review rate.", change_note="Results are in")
    project.refresh_from_db()
    return project


@pytest.fixture
def results(project):
    """An import of the project processed into one run, for the URLs that name one or the other."""
    return import_results(project, sample("metrics.jsonl"))


def _edit_data(project: Project, **changes) -> dict:
    """What the edit form posts when the owner changes nothing but `changes`."""
    revision = project.current_revision
    data = {
        **{k: v for k, v in revision.content().items() if v is not None},
        "tags": ", ".join(revision.tags),
        "visibility": project.visibility,
        "base_revision": revision.number,
        "change_note": "",
    }
    return {**data, **changes}


# Every URL of projects/urls.py: name, what its arguments are taken from, the status of the
# owner's GET, and what the owner's POST sends (None: the URL takes no POST).
ROUTES = [
    ("list", None, 200, None),
    (
        "create",
        None,
        200,
        {
            "title": "Churn",
            "status": "idea",
            "visibility": "private",
            "success_direction": "higher",
        },
    ),
    ("preview", None, 405, {"field": "problem", "problem": "**bold**"}),
    ("detail", "project", 200, None),
    ("edit", "project", 200, "edit"),
    ("history", "project", 200, None),
    ("diff", "project", 200, None),
    ("revision", "revision", 200, None),
    ("restore", "revision", 200, {}),
    ("delete", "project", 200, {"confirm_title": "Fraud model"}),
    ("export-md", "project", 200, None),
    ("export-json", "project", 200, None),
    ("import-upload", "project", 405, "upload"),
    ("import", "import", 200, None),
    ("import-retry", "import", 405, {}),
    ("import-delete", "import", 200, {}),
    ("import-preview", "import", 200, {"action": "import"}),
    ("import-progress", "project", 200, None),
    ("runs", "project", 200, None),
    ("run", "run", 200, None),
    ("results", "project", 200, None),
    ("chart", "project", 400, None),  # no metric asked for
    ("chart-data", "project", 400, None),
    ("chart-live", "project", 400, None),  # no metric nor card
    ("chart-keys", "project", 400, None),  # no layout
    # By id, for everyone the project is visible to (tests/projects/test_artifact_pages.py).
    ("artifact", "artifact", 200, None),
    ("artifact-file", "artifact", 200, None),
    ("compare", "project", 200, None),
    ("stats", "project", 200, None),
    ("metric-direction", "project", 405, {"metric": "loss", "direction": "higher"}),
]
POST_ROUTES = [r for r in ROUTES if r[3] is not None]
PROJECT_ROUTES = [r for r in ROUTES if r[1] is not None]


def _url(name: str, kind: str | None, project: Project) -> str:
    if kind == "import":
        return reverse(f"projects:{name}", args=[project.slug, project.imports.get().pk])
    if kind == "run":
        return reverse(f"projects:{name}", args=[project.slug, project.runs.get().pk])
    if kind == "artifact":
        artifact = RunArtifact.objects.filter(run__project=project).first() or artifact_store(
            run=project.runs.get(), path="notes.txt", stream=io.BytesIO(b"notes")
        )
        return reverse(
            f"projects:{name}", args=[artifact.pk, *([artifact.name] * ("file" in name))]
        )
    args = {None: [], "project": [project.slug], "revision": [project.slug, 1]}[kind]
    return reverse(f"projects:{name}", args=args)


def _data(data, project: Project) -> dict:
    if data == "upload":
        # A file the project has not imported yet, made afresh: a posted file is read once.
        content = sample("run-resnet-tag-val_loss.csv").read_bytes()
        return {"files": SimpleUploadedFile("run-resnet-tag-val_loss.csv", content)}
    return _edit_data(project, problem="Bob was here.") if data == "edit" else data


def _login_redirect(path: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?next={quote(path)}"


def _snapshot(project: Project) -> tuple:
    """What alice would notice had changed in her records."""
    project.refresh_from_db()
    return (
        project.title,
        project.visibility,
        project.slug,
        project.current_revision_id,
        project.updated_at,
        list(project.skills.values_list("name", flat=True)),
        list(ProjectRevision.objects.order_by("pk").values()),
        Project.objects.count(),
        list(ExperimentImport.objects.order_by("pk").values()),
        list(ImportFile.objects.order_by("pk").values()),
        [f.file.storage.exists(f.file.name) for f in ImportFile.objects.order_by("pk")],
        list(Run.objects.order_by("pk").values()),
        list(MetricSeries.objects.order_by("pk").values("pk", "run_id", "key", "count")),
    )


class _FormValues(HTMLParser):
    """The value each input, textarea and select of a page's forms would send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _form_values(response) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(response.text)
    return parser.values


def _message(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- Who may do what ---------------------------------------------------------------------------


def test_the_role_matrix_covers_every_projects_url():
    assert {p.name for p in project_urls.urlpatterns} == {r[0] for r in ROUTES}


@pytest.mark.parametrize(("name", "kind", "status", "data"), ROUTES, ids=[r[0] for r in ROUTES])
def test_it_answers_the_owners_get(alice_client, project, results, name, kind, status, data):
    response = alice_client.get(_url(name, kind, project))

    assert response.status_code == status


@pytest.mark.parametrize(
    ("name", "kind", "status", "data"), POST_ROUTES, ids=[r[0] for r in POST_ROUTES]
)
def test_it_carries_out_the_owners_post(
    alice, alice_client, project, results, name, kind, status, data
):
    response = alice_client.post(_url(name, kind, project), _data(data, project))

    if name == "preview":
        assert response.status_code == 200
        assert "<strong>bold</strong>" in response.text
        return
    assert response.status_code == 302
    if name == "create":
        created = Project.objects.get(owner=alice, title="Churn")
        assert response["Location"] == created.get_absolute_url()
    elif name == "delete":
        assert response["Location"] == reverse("projects:list")
        assert not Project.objects.filter(pk=project.pk).exists()
    elif name == "import-upload":
        created = project.imports.get(original_name="run-resnet-tag-val_loss.csv")
        assert response["Location"] == created.get_absolute_url()
        assert created.status == "queued"
    elif name == "import-retry":  # only a failed import goes back to the queue
        assert response["Location"] == results.get_absolute_url()
        results.refresh_from_db()
        assert results.status == "succeeded"
    elif name == "import-preview":  # read again, as Cairn reads it, confirmed by the owner
        assert response["Location"] == results.get_absolute_url()
        results.refresh_from_db()
        assert results.choices == {"confirmed": True}
    elif name == "import-delete":
        assert response["Location"] == f"{project.get_absolute_url()}#results"
        assert not ExperimentImport.objects.filter(pk=results.pk).exists()
        assert not Run.objects.filter(project=project).exists()
    elif name == "metric-direction":
        assert response["Location"].startswith(reverse("projects:stats", args=[project.slug]))
        project.refresh_from_db()
        assert project.metric_directions == {"loss": "higher"}
    else:  # edit and restore make revision 3
        assert response["Location"] == project.get_absolute_url()
        project.refresh_from_db()
        assert project.current_revision.number == 3


def test_it_refuses_a_post_to_a_page_that_only_reads(alice_client, project, results):
    for name, kind, _, data in ROUTES:
        if data is None:
            assert alice_client.post(_url(name, kind, project)).status_code == 405, name


@pytest.mark.parametrize(
    ("name", "kind", "status", "data"), PROJECT_ROUTES, ids=[r[0] for r in PROJECT_ROUTES]
)
def test_it_answers_404_to_another_engineer_and_changes_nothing(
    bob_client, project, results, htmx_headers, name, kind, status, data
):
    url = _url(name, kind, project)
    before = _snapshot(project)
    # A POST-only URL refuses a GET before it looks anything up, so 405 tells bob nothing.
    get_status = 405 if status == 405 else 404

    assert bob_client.get(url).status_code == get_status
    assert bob_client.get(url, headers=htmx_headers).status_code == get_status
    if data is not None:
        assert bob_client.post(url, _data(data, project)).status_code == 404
        assert bob_client.post(url, _data(data, project), headers=htmx_headers).status_code == 404

    assert _snapshot(project) == before


def test_it_answers_404_to_a_project_that_does_not_exist(alice_client, project):
    assert alice_client.get(reverse("projects:detail", args=["no-such"])).status_code == 404
    url = reverse("projects:revision", args=[project.slug, 9])
    assert alice_client.get(url).status_code == 404
    url = reverse("projects:restore", args=[project.slug, 9])
    assert alice_client.post(url).status_code == 404


def test_it_shows_another_engineer_only_their_own_projects(bob, bob_client, project):
    create_project(owner=bob, title="Bob's recommender")

    response = bob_client.get(reverse("projects:list"))

    assert response.status_code == 200
    assert "Bob&#x27;s recommender" in response.text
    assert "Fraud model" not in response.text
    assert "xgboost" not in response.text  # alice's skills are not offered in bob's filter


def test_it_creates_another_engineers_project_as_their_own(bob, bob_client, project):
    before = list(project.revisions.values())

    bob_client.post(reverse("projects:create"), ROUTES[1][3] | {"title": "Fraud model"})

    bobs = Project.objects.get(owner=bob)
    assert bobs.title == "Fraud model"
    assert bobs.slug == "fraud-model"
    assert bobs.current_revision.author == bob
    assert list(project.revisions.values()) == before


# Artifacts answer everyone by the visibility rule: a visitor gets a private one's 404, not a login.
SIGNED_IN_ROUTES = [r for r in ROUTES if r[1] != "artifact"]


@pytest.mark.parametrize(
    ("name", "kind", "status", "data"), SIGNED_IN_ROUTES, ids=[r[0] for r in SIGNED_IN_ROUTES]
)
def test_it_sends_someone_signed_out_to_the_login_page(
    client, project, results, name, kind, status, data
):
    url = _url(name, kind, project)
    before = _snapshot(project)

    get = client.get(url)
    post = client.post(url, _data(data, project) if data is not None else {})

    for response in (get, post):
        assert response.status_code == 302
        assert response["Location"] == _login_redirect(url)
    assert _snapshot(project) == before


# --- Create ------------------------------------------------------------------------------------


def test_it_starts_a_new_record_from_the_template_prompts(alice_client):
    response = alice_client.get(reverse("projects:create"))

    values = _form_values(response)
    for key, prompt in template_content().items():
        assert values[key] == prompt
    assert "start blank instead" in response.text


def test_it_starts_a_blank_record_when_asked(alice_client):
    response = alice_client.get(reverse("projects:create"), {"start": "blank"})

    values = _form_values(response)
    assert all(values[key] == "" for key in SECTION_KEYS)
    # The prompts stay as placeholders, to guide without being in the way.
    assert 'placeholder="- Who uses the prediction, and for what decision?' in response.text
    assert "use the template instead" in response.text


def test_it_creates_a_project_and_shows_it_as_revision_one(alice, alice_client):
    data = {
        "title": "Ticket router",
        "summary": "Routes tickets.",
        "status": "active",
        "visibility": "public",
        "tags": "NLP, PyTorch",
        "problem": "Support routes **3 hours** a day.",
        "success_metric": "macro_f1",
        "success_target": "0.85",
        "success_direction": "higher",
        "repo_url": "github.com/alice/router",
    }

    response = alice_client.post(reverse("projects:create"), data, follow=True)

    project = Project.objects.get(owner=alice)
    revision = project.current_revision
    assert response.redirect_chain == [(project.get_absolute_url(), 302)]
    assert "“Ticket router” created as revision 1." in response.text
    assert "<strong>3 hours</strong>" in response.text
    assert project.visibility == "public"
    assert revision.tags == ["nlp", "pytorch"]
    assert revision.success_target == 0.85
    assert revision.repo_url == "https://github.com/alice/router"
    assert revision.change_note == "Created"


def test_it_keeps_every_typed_value_when_the_new_record_is_invalid(alice_client):
    typed = {
        "title": "",
        "summary": 'Fraud "model" <b>now</b>',
        "status": "deployed",
        "visibility": "mentors",
        "tags": "PyTorch, NLP",
        "success_metric": "recall@1%",
        "success_target": "a lot",
        "success_direction": "lower",
        "repo_url": "not a url",
        "artifacts_url": "https://example.com/artifacts",
        "demo_url": "",
        **{key: f'Typed text for {key}\n\n- with <tags> & "quotes"' for key in SECTION_KEYS},
    }

    response = alice_client.post(reverse("projects:create"), typed)

    assert response.status_code == 200
    assert Project.objects.count() == 0
    assert ProjectRevision.objects.count() == 0
    assert "Some fields need attention; nothing was saved yet." in response.text
    errors = response.context["form"].errors
    assert set(errors) == {"title", "success_target", "repo_url"}
    assert response.text.count('class="error" role="alert"') == 3
    assert _form_values(response) | {"csrfmiddlewaretoken": ""} == typed | {
        "csrfmiddlewaretoken": "",
        "base_revision": "",
    }


def test_it_refuses_a_javascript_link_in_a_new_record(alice_client):
    data = dict(ROUTES[1][3], repo_url="javascript:alert(1)")

    response = alice_client.post(reverse("projects:create"), data)

    assert response.status_code == 200
    assert "repo_url" in response.context["form"].errors
    assert Project.objects.count() == 0


# --- Edit --------------------------------------------------------------------------------------


def test_it_shows_the_current_revision_in_the_edit_form(alice_client, project):
    response = alice_client.get(reverse("projects:edit", args=[project.slug]))

    values = _form_values(response)
    assert values["title"] == "Fraud model"
    assert values["tags"] == "xgboost, sql"
    assert values["problem"] == "Chargebacks cost money."
    assert values["base_revision"] == "2"
    assert "Saving makes revision 3." in response.text


def test_it_saves_an_edit_as_a_new_revision(alice, alice_client, project):
    data = _edit_data(project, problem="Chargebacks cost €1.2M a year.", change_note="Numbers")

    response = alice_client.post(reverse("projects:edit", args=[project.slug]), data, follow=True)

    assert response.redirect_chain == [(project.get_absolute_url(), 302)]
    assert "Saved as revision 3." in response.text
    project.refresh_from_db()
    revision = project.current_revision
    assert revision.number == 3
    assert revision.problem == "Chargebacks cost €1.2M a year."
    assert revision.change_note == "Numbers"
    assert revision.changed == ["problem"]
    assert revision.author == alice


def test_it_makes_no_revision_when_nothing_changed(alice_client, project):
    response = alice_client.post(
        reverse("projects:edit", args=[project.slug]), _edit_data(project), follow=True
    )

    assert "Nothing changed, so no new revision was made." in response.text
    assert project.revisions.count() == 2


def test_it_makes_no_revision_when_only_windows_line_endings_came_back(alice_client, project):
    save_revision(project, model="- XGBoost\n- 400 trees")
    project.refresh_from_db()
    data = _edit_data(project, model="- XGBoost\r\n- 400 trees")

    alice_client.post(reverse("projects:edit", args=[project.slug]), data)

    assert project.revisions.count() == 3


def test_it_saves_a_visibility_change_without_making_a_revision(alice_client, project):
    data = _edit_data(project, visibility="public")

    response = alice_client.post(reverse("projects:edit", args=[project.slug]), data, follow=True)

    assert "Visibility saved. The content did not change." in response.text
    project.refresh_from_db()
    assert project.visibility == "public"
    assert project.revisions.count() == 2


def test_it_re_renders_an_invalid_edit_with_errors_and_saves_nothing(alice_client, project):
    before = _snapshot(project)
    data = _edit_data(project, title="", problem="My new text.")

    response = alice_client.post(reverse("projects:edit", args=[project.slug]), data)

    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert _form_values(response)["problem"] == "My new text."
    assert _snapshot(project) == before


# --- The lost-update guard ---------------------------------------------------------------------


def test_it_refuses_a_second_edit_based_on_the_same_revision(alice_client, project):
    url = reverse("projects:edit", args=[project.slug])
    first_tab = _edit_data(project, problem="Saved from the first tab.")
    second_tab = _edit_data(project, problem="Typed in the second tab.", summary="Mine")
    assert alice_client.post(url, first_tab).status_code == 302

    response = alice_client.post(url, second_tab)

    assert response.status_code == 409
    text = response.text
    assert "This record changed while you were editing." in text
    assert "Revision 3 was saved" in text
    assert "after the revision 2 you started from" in text
    assert f'href="{reverse("projects:diff", args=[project.slug])}?a=2&b=3"' in text
    values = _form_values(response)
    assert values["problem"] == "Typed in the second tab."
    assert values["summary"] == "Mine"
    project.refresh_from_db()
    assert project.revisions.count() == 3
    assert project.current_revision.problem == "Saved from the first tab."
    assert project.summary == "Scores card payments."


def test_it_saves_the_conflicting_edit_when_it_is_sent_again(alice_client, project):
    url = reverse("projects:edit", args=[project.slug])
    alice_client.post(url, _edit_data(project, problem="Saved from the first tab."))
    conflict = alice_client.post(url, _edit_data(project, problem="Typed in the second tab."))
    resent = {k: v for k, v in _form_values(conflict).items() if k != "csrfmiddlewaretoken"}
    assert resent["base_revision"] == "3"

    response = alice_client.post(url, resent)

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.current_revision.number == 4
    assert project.current_revision.problem == "Typed in the second tab."
    assert project.revisions.get(number=3).problem == "Saved from the first tab."


# --- Reading revisions -------------------------------------------------------------------------


def test_it_shows_the_current_revision_with_its_number_and_date(alice_client, project):
    response = alice_client.get(project.get_absolute_url())

    current = project.current_revision
    assert response.status_code == 200
    assert f"revision 2 · {date_filter(current.created_at, 'M j, Y H:i')}" in response.text
    assert "Recall 0.63 at a 1% review rate." in response.text
    assert 'class="notice old-revision"' not in response.text
    assert reverse("projects:edit", args=[project.slug]) in response.text


def test_it_shows_an_old_revision_with_a_banner_and_a_restore_link(alice_client, project):
    response = alice_client.get(reverse("projects:revision", args=[project.slug, 1]))

    text = response.text
    assert response.status_code == 200
    assert "You are reading <strong>revision 1</strong>" in text
    assert "not the current one (revision 2)" in text
    assert f'href="{reverse("projects:restore", args=[project.slug, 1])}"' in text
    assert "Recall 0.63" not in text
    assert reverse("projects:edit", args=[project.slug]) not in text


def test_it_shows_the_current_revision_without_a_banner_by_its_number(alice_client, project):
    response = alice_client.get(reverse("projects:revision", args=[project.slug, 2]))

    assert 'class="notice old-revision"' not in response.text


def test_it_lists_the_history_newest_first_with_notes_and_changed_fields(alice_client, project):
    response = alice_client.get(reverse("projects:history", args=[project.slug]))

    text = response.text
    assert "2 revisions" in text
    rows = text.split('data-testid="revision-row"')[1:]
    assert len(rows) == 2
    assert "<strong>2</strong>" in rows[0]
    assert "Results are in" in rows[0]
    assert '<span class="chip">Results summary</span>' in rows[0]
    assert "<strong>1</strong>" in rows[1]
    assert "First write-up" in rows[1]
    assert '<span class="chip">Problem and business goal</span>' in rows[1]
    assert '<span class="chip">Skills and tags</span>' in rows[1]


# --- Restore -----------------------------------------------------------------------------------


def test_it_asks_before_restoring_a_revision(alice_client, project):
    response = alice_client.get(reverse("projects:restore", args=[project.slug, 1]))

    assert response.status_code == 200
    assert "Restore revision 1?" in response.text
    assert "This makes a new revision, 3" in response.text
    assert '<form method="post"' in response.text
    assert project.revisions.count() == 2


def test_it_restores_a_revision_as_a_new_one(alice_client, project):
    response = alice_client.post(reverse("projects:restore", args=[project.slug, 1]), follow=True)

    assert "Revision 1 restored as revision 3." in response.text
    project.refresh_from_db()
    restored = project.current_revision
    assert restored.number == 3
    assert restored.restored_from == 1
    assert restored.content() == project.revisions.get(number=1).content()
    history = alice_client.get(reverse("projects:history", args=[project.slug]))
    assert "restored from revision 1" in history.text


def test_it_makes_no_revision_when_restoring_the_current_one(alice_client, project):
    response = alice_client.post(reverse("projects:restore", args=[project.slug, 2]), follow=True)

    assert "Revision 2 is what the record says already." in response.text
    assert project.revisions.count() == 2


# --- Delete ------------------------------------------------------------------------------------


def test_it_asks_for_the_title_before_deleting(alice_client, project):
    response = alice_client.get(reverse("projects:delete", args=[project.slug]))

    assert response.status_code == 200
    assert "all 2 revisions of it" in response.text
    assert 'name="confirm_title"' in response.text


@pytest.mark.parametrize("typed", ["", "fraud model", "Fraud", "Fraud model!"])
def test_it_deletes_nothing_when_the_typed_title_is_wrong(alice_client, project, typed):
    before = _snapshot(project)
    url = reverse("projects:delete", args=[project.slug])

    response = alice_client.post(url, {"confirm_title": typed}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Type the project&#x27;s title exactly to delete it." in response.text
    assert _snapshot(project) == before


def test_it_deletes_the_project_and_its_revisions_when_the_title_is_typed(alice_client, project):
    response = alice_client.post(
        reverse("projects:delete", args=[project.slug]),
        {"confirm_title": " Fraud model "},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("projects:list"), 302)]
    assert "“Fraud model” and its revisions were deleted." in response.text
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not ProjectRevision.objects.filter(project_id=project.pk).exists()


# --- Exports -----------------------------------------------------------------------------------


def test_it_exports_the_current_revision_as_markdown(alice_client, project):
    response = alice_client.get(reverse("projects:export-md", args=[project.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="fraud-model.md"'
    text = response.content.decode()
    assert text.startswith("# Fraud model\n")
    assert "- Revision: 2 (" in text
    assert "- Skills: xgboost, sql" in text
    assert "## Problem and business goal\n\nChargebacks cost money." in text
    assert "## Results summary\n\nRecall 0.63 at a 1% review rate." in text
    assert "## Deployment" not in text  # empty sections are left out


def test_it_exports_the_record_as_json_with_its_history(alice_client, project):
    response = alice_client.get(reverse("projects:export-json", args=[project.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="fraud-model.json"'
    data = json.loads(response.content)
    assert data["title"] == "Fraud model"
    assert data["revision"]["number"] == 2
    assert data["revision"]["author"] == "alice"
    for stamp in (data["created_at"], data["updated_at"], data["revision"]["created_at"]):
        assert datetime.datetime.fromisoformat(stamp).tzinfo is not None
    assert set(data["sections"]) == set(SECTION_KEYS)
    assert data["sections"]["results"] == "Recall 0.63 at a 1% review rate."
    assert [(h["number"], h["change_note"]) for h in data["history"]] == [
        (2, "Results are in"),
        (1, "First write-up"),
    ]
    assert data["history"][0]["changed"] == ["results"]


# --- The list ----------------------------------------------------------------------------------


def _titles(response) -> list[str]:
    return [p.title for p in response.context["projects"]]


def test_it_welcomes_a_new_engineer_with_an_empty_list(alice_client):
    response = alice_client.get(reverse("projects:list"))

    assert response.status_code == 200
    assert "Write up your first ML project" in response.text
    assert f'href="{reverse("projects:create")}?start=blank"' in response.text
    assert "No project matches" not in response.text


def test_it_says_when_no_project_matches_the_filters(alice_client, project):
    response = alice_client.get(reverse("projects:list"), {"q": "blockchain"})

    assert "No project matches" in response.text
    assert "Write up your first ML project" not in response.text
    assert _titles(response) == []


@pytest.fixture
def three_projects(alice, project):
    create_project(owner=alice, title="Churn", status="idea", tags=["sql"], compute="2 × A10G")
    create_project(owner=alice, title="Router", status="deployed", tags=["NLP"], problem="Tickets")
    return project


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({}, {"Fraud model", "Churn", "Router"}),
        ({"status": "idea"}, {"Churn"}),
        ({"status": "deployed"}, {"Router"}),
        ({"skill": "sql"}, {"Fraud model", "Churn"}),
        ({"skill": "NLP"}, {"Router"}),
        ({"q": "a10g"}, {"Churn"}),  # only in the compute section
        ({"q": "review rate"}, {"Fraud model"}),  # only in the results section
        ({"q": "tickets"}, {"Router"}),
        ({"q": "card payments"}, {"Fraud model"}),  # the summary
        ({"q": "router", "status": "deployed", "skill": "nlp"}, {"Router"}),
        ({"skill": "sql", "status": "deployed"}, set()),
    ],
)
def test_it_filters_the_list(alice_client, three_projects, params, titles):
    response = alice_client.get(reverse("projects:list"), params)

    assert response.status_code == 200
    assert set(_titles(response)) == titles
    assert len(_titles(response)) == len(titles)


def test_it_searches_only_the_current_revision(alice_client, project):
    save_revision(project, results="")

    response = alice_client.get(reverse("projects:list"), {"q": "review"})

    assert _titles(response) == []


def test_it_shows_each_project_with_its_revision_and_skills(alice_client, project):
    response = alice_client.get(reverse("projects:list"))

    text = response.text
    assert "revision 2 ·" in text
    assert '<a class="tag" href="?skill=xgboost">xgboost</a>' in text
    assert '<option value="sql">sql</option>' in text


def test_it_lists_twenty_projects_in_a_few_queries(
    alice, alice_client, django_assert_max_num_queries
):
    for n in range(20):
        create_project(owner=alice, title=f"Project {n}", tags=[f"skill-{n}", "shared"])

    with django_assert_max_num_queries(7):  # +1: whether the user mentors (the navigation's order)
        response = alice_client.get(reverse("projects:list"))

    assert len(response.context["projects"]) == 20
    assert "skill-19" in response.text


# --- The live preview --------------------------------------------------------------------------


def test_the_preview_renders_a_section_as_a_fragment(alice_client, htmx_headers):
    response = alice_client.post(
        reverse("projects:preview"),
        {"field": "results", "results": "**0.63** recall\n\n- seeds: 5"},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="preview-results"' in response.text
    assert "<strong>0.63</strong>" in response.text
    assert "<li>seeds: 5</li>" in response.text


def test_the_preview_sanitizes_what_it_renders(alice_client, htmx_headers):
    response = alice_client.post(
        reverse("projects:preview"),
        {"field": "problem", "problem": "<script>alert(1)</script><img src=x onerror=alert(1)>"},
        headers=htmx_headers,
    )

    assert "<script" not in response.text
    assert "onerror" not in response.text
    assert "<img" not in response.text


@pytest.mark.parametrize("field", ["", "title", "nonsense", "csrfmiddlewaretoken"])
def test_the_preview_renders_nothing_for_a_field_that_is_not_a_section(alice_client, field):
    response = alice_client.post(reverse("projects:preview"), {"field": field, field: "**x**"})

    assert response.status_code == 200
    assert "Nothing to preview yet." in response.text
    assert "<strong>" not in response.text


def test_the_preview_writes_nothing(alice_client, project):
    before = _snapshot(project)

    alice_client.post(reverse("projects:preview"), {"field": "problem", "problem": "New."})

    assert _snapshot(project) == before


def test_the_editor_wires_every_section_to_the_preview(alice_client, project):
    response = alice_client.get(reverse("projects:edit", args=[project.slug]))

    for section in SECTIONS:
        assert f'hx-vals=\'{{"field": "{section.key}"}}\'' in response.text
        assert f'id="preview-{section.key}"' in response.text
