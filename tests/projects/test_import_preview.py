"""The preview page: an uncertain import stops there; the owner changes roles and imports; a
finished import can be read again; nobody else sees it. The command line and the API take the
same choices."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from portfolio.api.tokens import token_create
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from projects import import_choices, imports
from projects.models import ImportStatus, Run
from tests.factories import create_project, import_results

pytestmark = pytest.mark.django_db

AMBIGUOUS = (
    b"run,metric,step,value,timestamp,lr\n"
    b"a,loss,0,1.0,04-08-2024 10:00,0.1\n"
    b"a,loss,1,0.9,05-08-2024 10:00,0.1\n"
    b"b,loss,0,1.2,04-08-2024 11:00,0.01\n"
)


@pytest.fixture
def project(alice):
    return create_project(owner=alice, visibility="public")


@pytest.fixture
def held(project):
    imp = import_results(project, ("runs.csv", AMBIGUOUS))
    assert imp.status == ImportStatus.REVIEW
    return imp


def url(imp):
    return reverse("projects:import-preview", args=[imp.project.slug, imp.pk])


def _index(response, column):
    for row in response.context["role_rows"]:
        if row["column"].name == column:
            return row["column"].index
    raise AssertionError(column)


def test_the_import_page_sends_the_owner_to_the_preview(alice_client, held):
    page = alice_client.get(held.get_absolute_url()).content.decode()
    assert url(held) in page
    assert "Check the columns and import" in page
    assert url(held) in alice_client.get(held.project.get_absolute_url()).content.decode()


def test_the_preview_shows_the_role_matrix_rows_and_the_doubt(alice_client, held):
    response = alice_client.get(url(held))
    assert response.status_code == 200
    rows = {r["column"].name: r["chosen"] for r in response.context["role_rows"]}
    assert rows == {
        "run": "run",
        "metric": "key",
        "step": "step",
        "value": "value",
        "timestamp": "time",
        "lr": "ignore",
    }
    page = response.content.decode()
    assert 'data-testid="preview-uncertain"' in page
    assert "04-08-2024 10:00" in page  # a row of the file
    assert '<select id="date_order" name="date_order">' in page


def test_import_with_changed_roles_lands_data_where_chosen(alice_client, held):
    page = alice_client.get(url(held))
    data = {
        f"role-{_index(page, 'lr')}": "param",
        "date_order": "dmy",
        "delimiter": "",
        "action": "import",
    }
    response = alice_client.post(url(held), data)
    assert response.status_code == 302
    imports.import_process(import_id=held.pk, token="t")
    held.refresh_from_db()
    assert held.status == ImportStatus.SUCCEEDED
    assert held.choices == {"roles": {"lr": "param"}, "date_order": "dmy", "confirmed": True}
    runs = {r.name: r for r in Run.objects.filter(experiment_import=held)}
    assert runs["a"].params == {"lr": "0.1"} and runs["b"].params == {"lr": "0.01"}
    assert runs["a"].started_at.month == 8  # 04-08 read day-month: August
    detail = alice_client.get(held.get_absolute_url()).content.decode()
    assert "column “lr” as param, dates day-month-year; chosen by the owner" in detail
    run_page = alice_client.get(runs["a"].get_absolute_url()).content.decode()
    assert "read with: <span" in run_page


def test_an_invalid_role_is_refused_and_what_was_typed_is_kept(alice_client, held):
    page = alice_client.get(url(held))
    data = {
        f"role-{_index(page, 'lr')}": "banana",
        f"role-{_index(page, 'run')}": "run",
        "date_order": "dmy",
        "action": "import",
    }
    response = alice_client.post(url(held), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "“banana” is not a column role (column “lr”)" in body
    assert '<option value="dmy" selected>' in body
    held.refresh_from_db()
    assert held.status == ImportStatus.REVIEW and held.choices == {}


def test_two_step_columns_are_refused(alice_client, held):
    page = alice_client.get(url(held))
    data = {f"role-{_index(page, 'lr')}": "step", "action": "import"}
    response = alice_client.post(url(held), data)
    assert response.status_code == 400
    assert "Only one column can be the step" in response.content.decode()


def test_a_succeeded_import_is_read_again_and_its_runs_replaced(alice_client, project):
    imp = import_results(project, ("w.csv", b"epoch,lr,loss\n0,0.1,0.9\n1,0.1,0.8\n"))
    assert imp.status == ImportStatus.SUCCEEDED
    old = set(Run.objects.filter(experiment_import=imp).values_list("pk", flat=True))
    assert Run.objects.get(experiment_import=imp).summary.keys() == {"lr", "loss"}
    page = alice_client.get(url(imp))
    assert "Read again with other choices" in alice_client.get(imp.get_absolute_url()).text
    alice_client.post(url(imp), {f"role-{_index(page, 'lr')}": "param", "action": "import"})
    imports.import_process(import_id=imp.pk, token="t2")
    run = Run.objects.get(experiment_import=imp)
    assert run.pk not in old
    assert run.params == {"lr": "0.1"} and set(run.summary) == {"loss"}
    profile = project.owner.profile
    profile.is_public = True
    profile.save()
    public = alice_client.get(f"/u/{profile.slug}/{project.slug}/").content.decode()
    assert "read with: <span" in public and "column “lr” as param" in public


@pytest.mark.parametrize("who", ["bob", "mentor", "anonymous"])
def test_only_the_owner_sees_or_posts_the_preview(client, held, alice, bob, charlie, who):
    if who == "bob":
        client.force_login(bob)
    elif who == "mentor":
        _, token = mentorship_invite(engineer=alice)
        mentorship_accept(token=token, mentor=charlie)
        client.force_login(charlie)
    get = client.get(url(held))
    post = client.post(url(held), {"role-5": "param", "action": "import"})
    if who == "anonymous":
        assert get.status_code == post.status_code == 302
        assert "/login" in get["Location"] or "login" in get["Location"]
    else:
        assert get.status_code == post.status_code == 404
    held.refresh_from_db()
    assert held.status == ImportStatus.REVIEW and held.choices == {}


def test_the_command_line_stops_with_exit_2_then_imports_with_flags(project, tmp_path):
    path = tmp_path / "runs.csv"
    path.write_bytes(AMBIGUOUS)
    spec = f"{project.owner.username}/{project.slug}"
    err = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("import_results", "--project", spec, str(path), "--sync", stderr=err)
    assert stopped.value.code == 2
    text = err.getvalue()
    assert "timestamp" in text and "not sure" in text and "--role COLUMN=ROLE" in text
    out = io.StringIO()
    call_command(
        "import_results",
        "--project",
        spec,
        str(path),
        "--sync",
        "--role",
        "lr=param",
        "--date-order",
        "dmy",
        "--yes",
        stdout=out,
    )
    runs = {r.name: r.params for r in Run.objects.filter(project=project)}
    assert runs == {"a": {"lr": "0.1"}, "b": {"lr": "0.01"}}


def test_the_command_line_refuses_a_bad_role(project, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "runs.csv"
    path.write_bytes(AMBIGUOUS)
    with pytest.raises(CommandError, match="“banana” is not a column role"):
        call_command(
            "import_results",
            "--project",
            f"{project.owner.username}/{project.slug}",
            str(path),
            "--role",
            "lr=banana",
        )
    with pytest.raises(CommandError, match="--role takes COLUMN=ROLE"):
        call_command(
            "import_results",
            "--project",
            f"{project.owner.username}/{project.slug}",
            str(path),
            "--role",
            "lr",
        )


def test_the_api_takes_choices_and_refuses_bad_ones(client, project, alice):
    _, raw = token_create(user=alice, name="ci")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    endpoint = reverse("api:imports", args=[project.slug])
    bad = client.post(
        endpoint,
        {"file": io.BytesIO(AMBIGUOUS), "choices": json.dumps({"roles": {"lr": "banana"}})},
        **auth,
    )
    assert bad.status_code == 400
    assert "“banana” is not a column role" in bad.json()["error"]
    upload = io.BytesIO(AMBIGUOUS)
    upload.name = "runs.csv"
    choices = {"roles": {"lr": "param"}, "date_order": "dmy", "confirmed": True}
    made = client.post(endpoint, {"file": upload, "choices": json.dumps(choices)}, **auth)
    assert made.status_code == 202
    assert made.json()["choices"] == choices
    imports.import_process(import_id=made.json()["id"], token="api")
    status = client.get(made.json()["status_url"], **auth).json()
    assert status["status"] == "succeeded"
    assert {r.name: r.params for r in Run.objects.filter(project=project)}["a"] == {"lr": "0.1"}


def test_choices_have_one_rule_for_every_way_in():
    for attempt in (
        lambda: import_choices.from_flags(["x=banana"]),
        lambda: import_choices.from_api({"roles": {"x": "banana"}}),
        lambda: import_choices.build(roles={"x": "banana"}),
    ):
        with pytest.raises(import_choices.ChoicesInvalid, match="not a column role"):
            attempt()
    assert import_choices.from_flags([], delimiter="tab").delimiter == "\t"
    assert import_choices.describe({"delimiter": ";"}) == "delimiter semicolon; chosen by the owner"
