"""Every view and fragment of the site, tried by each role, answers as the visibility rule says.

The cast: alice (owner) is the engineer; bob mentors alice; carol mentors dave, not alice; erin
mentored alice until alice revoked her; frank is another engineer; and someone signed out. A
page answers 200 (or its redirect) to those allowed, 404 to every signed-in user who is not (their
existence is not revealed), and sends the signed-out to log in. Responses shown to anyone but alice
never contain the titles of her private work, and, except to her mentor, of her mentors-only work.

test_every_url_is_in_the_matrix fails when a URL is added without a row here.
"""

from __future__ import annotations

import io

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from milestones.services import checkin_create
from mlsync.models import SyncRun
from mlsync.services import connection_create
from portfolio.api.tokens import token_create
from portfolio.mentoring.comments import comment_on_milestone, comment_on_revision
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Notification
from projects.artifacts import artifact_store
from projects.models import ExperimentImport
from projects.selectors import reader_key
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    import_results,
    long_csv,
)
from tests.tracking.live_runs import live_run

pytestmark = pytest.mark.django_db

ROLES = ("owner", "mentor", "other_mentor", "revoked", "other", "anonymous")
SIGNED_IN = ROLES[:-1]

PRIVATE_TITLES = ("Secret pricing model", "Secret career goal", "Secret interview prep")
MENTOR_TITLES = ("Shared churn model", "Shared MLOps goal", "Shared drift alerts")

LOGIN = "login"
OK = "ok"


def _expect(**codes) -> dict:
    return {role: codes.get(role, 404) for role in SIGNED_IN} | {
        "anonymous": codes.get("anonymous", LOGIN)
    }


OWN = _expect(owner=200)
OWN_POST = _expect(owner=OK)
SELF = _expect(**dict.fromkeys(SIGNED_IN, 200))
# Each user's own, answered with a page or a redirect.
SELF_POST = _expect(**dict.fromkeys(SIGNED_IN, OK))
SHARED = _expect(owner=200, mentor=200)
SHARED_POST = _expect(owner=OK, mentor=OK)
PUBLIC = dict.fromkeys(ROLES, 200)
NOBODY = dict.fromkeys(ROLES, 404)
LIVE_QUERY = {"metric": "val/auc", "card": "chart-000000000000"}
KEYS_QUERY = {"layout": "results", "runs": "1", "after": "0"}
PUBLIC_KEYS_QUERY = {"layout": "public", "runs": "1", "after": "0"}
# Readable wherever the project is (the visibility rule), signed in or not.
ARTIFACT = _expect(owner=200, mentor=200, anonymous=404)
OWN_ARTIFACT = _expect(owner=200, anonymous=404)
OWN_286 = _expect(owner=286)
# Pages for visitors that send someone signed in on to their plan.
VISITORS = dict.fromkeys(SIGNED_IN, OK) | {"anonymous": 200}


@pytest.fixture
def world(db, tmp_path):
    alice = UserFactory(username="alice")
    bob, carol, dave, erin, frank = (
        UserFactory(username=name) for name in ("bob", "carol", "dave", "erin", "frank")
    )
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    _, token = mentorship_invite(engineer=dave)
    mentorship_accept(token=token, mentor=carol)
    _, token = mentorship_invite(engineer=alice)
    mentorship_revoke(mentorship=mentorship_accept(token=token, mentor=erin), actor=alice)
    _, open_token = mentorship_invite(engineer=dave, note="Would you mentor me?")

    shared = create_project(owner=alice, title="Shared churn model", visibility="mentors")
    secret = create_project(owner=alice, title="Secret pricing model", visibility="private")
    public = create_project(owner=alice, title="Public vision model", visibility="public")
    imp = import_results(shared, ("runs.csv", long_csv({("r1", "val/auc"): [0.7, 0.8]})))
    run = shared.runs.get()
    goal = GoalFactory(owner=alice, title="Shared MLOps goal", visibility="mentors")
    milestone = MilestoneFactory(goal=goal, title="Shared drift alerts")
    checkin = checkin_create(milestone=milestone, author=alice, progress=40, note="Half way")
    secret_goal = GoalFactory(owner=alice, title="Secret career goal", visibility="private")
    secret_milestone = MilestoneFactory(goal=secret_goal, title="Secret interview prep")
    thread = comment_on_revision(
        author=bob, revision=shared.current_revision, body="Which split?", section="problem"
    )
    comment_on_milestone(author=bob, milestone=milestone, body="Nice pace.", checkin=checkin)
    alerts = Notification.objects.filter(recipient=alice, comment=thread).get()
    inbox_item = Notification.objects.filter(recipient=bob, checkin=checkin).get()
    # A store of the smallest kind: a "Sync now" run by the eager worker reads it in no time.
    (tmp_path / "mlruns" / "0").mkdir(parents=True)
    (tmp_path / "mlruns" / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    connection = connection_create(
        project=shared, kind="store", store_path=str(tmp_path / "mlruns"), experiments="0"
    )
    users = {
        "owner": alice,
        "mentor": bob,
        "other_mentor": carol,
        "revoked": erin,
        "other": frank,
    }
    return {
        **users,
        "alice": alice,
        "slug": alice.profile.slug,
        "shared": shared,
        "secret": secret,
        "public": public,
        "import": imp,
        "run": run,
        "goal": goal,
        "milestone": milestone,
        "checkin": checkin,
        "secret_milestone": secret_milestone,
        "thread": thread,
        "alert": alerts,
        "inbox_item": inbox_item,
        "open_token": open_token,
        "alice_mentorship": alice.mentorships_given.get(mentor=bob),
        "artifact": artifact_store(run=run, path="notes.txt", stream=io.BytesIO(b"notes")),
        "secret_artifact": artifact_store(
            run=live_run(secret).run, path="secret.txt", stream=io.BytesIO(b"secret")
        ),
        "public_artifact": artifact_store(
            run=live_run(public).run, path="plot.txt", stream=io.BytesIO(b"plot")
        ),
        "tokens": {role: token_create(user=user, name="ci")[1] for role, user in users.items()},
        "connection": connection,
        "sync": SyncRun.objects.create(connection=connection, state="succeeded"),
    }


# (url name, how to build its args from the world, method, data, expected per role)
def _p(w):
    return [w["shared"].slug]


def _slug(w):
    return [w["slug"]]


def _public_artifact(w):
    return [w["slug"], w["public"].slug, w["public_artifact"].pk]


def _conn(w):
    return [w["shared"].slug, w["connection"].pk]


MATRIX = [
    # Accounts and the home page: public, or each user's own.
    ("home", lambda w: [], "get", None, VISITORS),
    ("robots", lambda w: [], "get", None, PUBLIC),
    ("healthz", lambda w: [], "get", None, PUBLIC),
    ("sitemap", lambda w: [], "get", None, PUBLIC),
    ("signup", lambda w: [], "get", None, VISITORS),
    ("login", lambda w: [], "get", None, PUBLIC),
    ("password_reset", lambda w: [], "get", None, PUBLIC),
    ("password_reset_done", lambda w: [], "get", None, PUBLIC),
    ("password_reset_complete", lambda w: [], "get", None, PUBLIC),
    ("password_change", lambda w: [], "get", None, SELF),
    ("password_change_done", lambda w: [], "get", None, SELF),
    ("profile", lambda w: [], "get", None, SELF),
    ("profile-slug-check", lambda w: [], "get", {"slug": "someone-new"}, SELF),
    ("profile-bio-preview", lambda w: [], "post", {"bio": "*hi*"}, SELF_POST),
    ("api-tokens", lambda w: [], "get", None, SELF),
    ("api-token-revoke", lambda w: [w["alice"].api_tokens.get().pk], "post", {}, OWN_POST),
    # The plan (issue 2): each engineer's own; objects are their owner's alone.
    ("milestones:plan", lambda w: [], "get", None, SELF_POST),
    ("milestones:quarter", lambda w: [w["goal"].year, w["goal"].quarter], "get", None, SELF),
    (
        "milestones:chart-burnup",
        lambda w: [w["goal"].year, w["goal"].quarter],
        "get",
        None,
        SELF,
    ),
    ("milestones:chart-best", lambda w: [], "get", None, SELF),
    ("milestones:chart-activity", lambda w: [], "get", None, SELF),
    ("milestones:goal-create", lambda w: [], "get", None, SELF),
    ("milestones:goal-edit", lambda w: [w["goal"].pk], "get", None, OWN),
    ("milestones:goal-delete", lambda w: [w["goal"].pk], "get", None, OWN),
    ("milestones:goal-title", lambda w: [w["goal"].pk], "get", None, OWN),
    ("milestones:milestone-create", lambda w: [w["goal"].pk], "get", None, OWN),
    ("milestones:milestone", lambda w: [w["milestone"].pk], "get", None, OWN),
    (
        "milestones:milestone-status",
        lambda w: [w["milestone"].pk],
        "post",
        {"status": "in_progress"},
        OWN_POST,
    ),
    ("milestones:milestone-title", lambda w: [w["milestone"].pk], "get", None, OWN),
    ("milestones:milestone-delete", lambda w: [w["milestone"].pk], "get", None, OWN),
    ("milestones:checkin-create", lambda w: [w["milestone"].pk], "get", None, OWN),
    # Project records (issue 3): the owner's editing pages.
    ("projects:list", lambda w: [], "get", None, SELF),
    ("projects:create", lambda w: [], "get", None, SELF),
    ("projects:preview", lambda w: [], "post", {"text": "*hi*"}, SELF_POST),
    ("projects:detail", _p, "get", None, OWN),
    ("projects:edit", _p, "get", None, OWN),
    ("projects:history", _p, "get", None, OWN),
    ("projects:diff", _p, "get", {"a": 1, "b": 1}, OWN),
    ("projects:revision", lambda w: [w["shared"].slug, 1], "get", None, OWN),
    ("projects:restore", lambda w: [w["shared"].slug, 1], "get", None, OWN),
    ("projects:delete", _p, "get", None, OWN),
    ("projects:export-md", _p, "get", None, OWN),
    ("projects:export-json", _p, "get", None, OWN),
    # Imports and results (issues 4 and 5).
    ("projects:import-upload", _p, "post", {}, OWN_POST),
    ("projects:import", lambda w: [w["shared"].slug, w["import"].pk], "get", None, OWN),
    ("projects:import-progress", _p, "get", None, OWN),
    (
        "projects:import-retry",
        lambda w: [w["shared"].slug, w["import"].pk],
        "post",
        {},
        OWN_POST,
    ),
    ("projects:import-delete", lambda w: [w["shared"].slug, w["import"].pk], "get", None, OWN),
    ("projects:import-preview", lambda w: [w["shared"].slug, w["import"].pk], "get", None, OWN),
    ("projects:runs", _p, "get", None, OWN),
    ("projects:run", lambda w: [w["shared"].slug, w["run"].pk], "get", None, OWN),
    ("projects:results", _p, "get", None, OWN),
    ("projects:chart", _p, "get", {"metric": "val/auc"}, OWN),
    ("projects:chart-data", _p, "get", {"metric": "val/auc"}, OWN),
    # No run of it logs live: 286, "stop polling".
    ("projects:chart-live", _p, "get", LIVE_QUERY, _expect(owner=286)),
    ("projects:chart-keys", _p, "get", KEYS_QUERY, _expect(owner=286)),
    ("projects:compare", _p, "get", None, OWN),
    ("projects:stats", _p, "get", None, OWN),
    (
        "projects:metric-direction",
        _p,
        "post",
        {"metric": "val/auc", "direction": "higher"},
        OWN_POST,
    ),
    # Artifacts logged by runs (issue 13): by id, wherever the project is visible.
    ("projects:artifact", lambda w: [w["artifact"].pk], "get", None, ARTIFACT),
    ("projects:artifact-file", lambda w: [w["artifact"].pk, "notes.txt"], "get", None, ARTIFACT),
    # Sync from MLflow (issue 17): the owner's alone, like the project's other settings.
    ("mlsync:connections", _p, "get", None, OWN),
    ("mlsync:connection", _conn, "get", None, OWN),
    ("mlsync:connection-edit", _conn, "get", None, OWN),
    ("mlsync:connection-delete", _conn, "get", None, OWN),
    ("mlsync:sync-now", _conn, "post", {}, OWN_POST),
    ("mlsync:report", lambda w: [w["shared"].slug, w["sync"].pk], "get", None, OWN),
    # Mentoring (issue 6): invitations, the mentor's dashboard and inbox.
    ("mentoring:dashboard", lambda w: [], "get", None, SELF),
    ("mentoring:inbox-ack", lambda w: [w["inbox_item"].pk], "post", {}, _expect(mentor=OK)),
    ("mentoring:inbox-ack-all", lambda w: [], "post", {}, SELF_POST),
    ("mentoring:accept", lambda w: [w["open_token"]], "get", None, PUBLIC),
    ("mentoring:mentors", lambda w: [], "get", None, SELF),
    ("mentoring:revoke", lambda w: [w["alice_mentorship"].pk], "post", {}, OWN_POST),
    # The engineer's work as the engineer and their current mentors read and discuss it.
    ("mentoring:person", _slug, "get", None, SHARED),
    ("mentoring:project", lambda w: [w["slug"], w["shared"].slug], "get", None, SHARED),
    ("mentoring:revision", lambda w: [w["slug"], w["shared"].slug, 1], "get", None, SHARED),
    (
        "mentoring:revision-comment",
        lambda w: [w["slug"], w["shared"].slug, 1],
        "post",
        {"body": "A thought", "section": "problem"},
        SHARED_POST,
    ),
    (
        "mentoring:results-comment",
        lambda w: [w["slug"], w["shared"].slug],
        "post",
        {"body": "This run looks off", "run": "RUN"},
        SHARED_POST,
    ),
    ("mentoring:milestone", lambda w: [w["slug"], w["milestone"].pk], "get", None, SHARED),
    (
        "mentoring:milestone-comment",
        lambda w: [w["slug"], w["milestone"].pk],
        "post",
        {"body": "A thought"},
        SHARED_POST,
    ),
    ("mentoring:reply", lambda w: [w["thread"].pk], "post", {"body": "Good point"}, SHARED_POST),
    ("mentoring:resolve", lambda w: [w["thread"].pk], "post", {}, OWN_POST),
    ("mentoring:reopen", lambda w: [w["thread"].pk], "post", {}, OWN_POST),
    # Notifications: each user's own.
    ("mentoring:notifications", lambda w: [], "get", None, SELF),
    (
        "mentoring:notifications-count",
        lambda w: [],
        "get",
        None,
        SELF | {"anonymous": OK},
    ),
    ("mentoring:notifications-read", lambda w: [], "post", {}, SELF_POST),
    ("mentoring:notification", lambda w: [w["alert"].pk], "get", None, _expect(owner=OK)),
    ("mentoring:notification-settings", lambda w: [], "get", None, SELF),
    # Public pages (issue 7) render as a visitor sees them. alice's profile is private: only she
    # may preview it; her mentors-only project is not public, so nobody gets its public page.
    ("public:profile", _slug, "get", None, _expect(owner=200, anonymous=404)),
    ("public:resume-json", _slug, "get", None, _expect(owner=200, anonymous=404)),
    ("public:markdown", _slug, "get", None, _expect(owner=200, anonymous=404)),
    ("public:preview", _slug, "get", None, NOBODY),
    ("public:project-preview", lambda w: [w["slug"], w["shared"].slug], "get", None, NOBODY),
    ("public:project", lambda w: [w["slug"], w["shared"].slug], "get", None, NOBODY),
    ("public:chart", lambda w: [w["slug"], w["shared"].slug], "get", {"metric": "val/auc"}, NOBODY),
    ("public:chart-live", lambda w: [w["slug"], w["shared"].slug], "get", LIVE_QUERY, NOBODY),
    (
        "public:chart-keys",
        lambda w: [w["slug"], w["shared"].slug],
        "get",
        PUBLIC_KEYS_QUERY,
        NOBODY,
    ),
    (
        "public:chart-data",
        lambda w: [w["slug"], w["shared"].slug],
        "get",
        {"metric": "val/auc"},
        NOBODY,
    ),
    # Artifacts of a public project's runs, on its public pages: as the page itself (alice's
    # profile is private: her preview only); of her mentors-only project, nobody's.
    ("public:artifact", _public_artifact, "get", None, _expect(owner=200, anonymous=404)),
    (
        "public:artifact-file",
        lambda w: [*_public_artifact(w), "plot.txt"],
        "get",
        None,
        _expect(owner=200, anonymous=404),
    ),
    (
        "public:artifact",
        lambda w: [w["slug"], w["shared"].slug, w["artifact"].pk],
        "get",
        None,
        NOBODY,
    ),
    (
        "public:artifact-file",
        lambda w: [w["slug"], w["shared"].slug, w["artifact"].pk, "notes.txt"],
        "get",
        None,
        NOBODY,
    ),
]


# A project's results by its reader key ("<id>~<slug>"): the owner and anyone the visibility
# rule lets read the project (a current mentor for work shared with mentors), read-only.
def _r(w, *more):
    return [reader_key(w["shared"]), *more]


READER = _expect(owner=200, mentor=200)
READER_ROWS = [
    ("projects:detail", _r, "get", None, _expect(owner=OK, mentor=OK)),
    ("projects:runs", _r, "get", None, READER),
    ("projects:run", lambda w: _r(w, w["run"].pk), "get", None, READER),
    ("projects:import", lambda w: _r(w, w["import"].pk), "get", None, READER),
    ("projects:results", _r, "get", {"metric": "val/auc"}, READER),
    ("projects:chart", _r, "get", {"metric": "val/auc", "runs": "0"}, READER),
    ("projects:chart-data", _r, "get", {"metric": "val/auc"}, READER),
    ("projects:chart-live", _r, "get", LIVE_QUERY, _expect(owner=286, mentor=286)),
    ("projects:chart-keys", _r, "get", KEYS_QUERY, _expect(owner=286, mentor=286)),
    ("projects:compare", _r, "get", None, READER),
    ("projects:stats", _r, "get", {"metric": "val/auc"}, READER),
    ("projects:export-md", _r, "get", None, READER),
    ("projects:export-json", _r, "get", None, READER),
]
# A public project's results are read by anyone signed in (visitors have its public page).
PUBLIC_READER_ROWS = [
    (name, lambda w: [reader_key(w["public"])], "get", None, expected)
    for name, expected in [
        ("projects:detail", _expect(owner=OK, mentor=OK, other_mentor=OK, revoked=OK, other=OK)),
        ("projects:runs", _expect(**dict.fromkeys(SIGNED_IN, 200))),
        ("projects:results", _expect(**dict.fromkeys(SIGNED_IN, 200))),
        ("projects:compare", _expect(**dict.fromkeys(SIGNED_IN, 200))),
        ("projects:stats", _expect(**dict.fromkeys(SIGNED_IN, 200))),
    ]
]


# Private work stays private even from a mentor: these answer 404 to all but its owner.
PRIVATE_ROWS = [
    (
        "public:artifact",
        lambda w: [w["slug"], w["secret"].slug, w["secret_artifact"].pk],
        "get",
        None,
        NOBODY,
    ),
    (
        "public:artifact-file",
        lambda w: [w["slug"], w["secret"].slug, w["secret_artifact"].pk, "secret.txt"],
        "get",
        None,
        NOBODY,
    ),
    ("projects:artifact", lambda w: [w["secret_artifact"].pk], "get", None, OWN_ARTIFACT),
    (
        "projects:artifact-file",
        lambda w: [w["secret_artifact"].pk, "secret.txt"],
        "get",
        None,
        OWN_ARTIFACT,
    ),
    *[
        (name, lambda w: [reader_key(w["secret"])], "get", None, OWN)
        for name in ("projects:runs", "projects:results", "projects:compare", "projects:stats")
    ],
    ("projects:chart-data", lambda w: [reader_key(w["secret"])], "get", {"metric": "m"}, OWN),
    ("projects:chart-keys", lambda w: [reader_key(w["secret"])], "get", KEYS_QUERY, OWN_286),
    ("projects:export-json", lambda w: [reader_key(w["secret"])], "get", None, OWN),
    ("projects:detail", lambda w: [reader_key(w["secret"])], "get", None, OWN_POST),
    ("mentoring:project", lambda w: [w["slug"], w["secret"].slug], "get", None, OWN),
    ("mentoring:revision", lambda w: [w["slug"], w["secret"].slug, 1], "get", None, OWN),
    ("mentoring:milestone", lambda w: [w["slug"], w["secret_milestone"].pk], "get", None, OWN),
    (
        "mentoring:revision-comment",
        lambda w: [w["slug"], w["secret"].slug, 1],
        "post",
        {"body": "Let me in"},
        OWN_POST,
    ),
    (
        "mentoring:milestone-comment",
        lambda w: [w["slug"], w["secret_milestone"].pk],
        "post",
        {"body": "Let me in"},
        OWN_POST,
    ),
    (
        "mentoring:results-comment",
        lambda w: [w["slug"], w["secret"].slug],
        "post",
        {"body": "Let me in", "metric": "val/auc", "runs": "1"},
        OWN_POST,
    ),
]

# Not pages of Cairn's own: logging out (POST only) and Django's reset link (a signed token).
NOT_IN_MATRIX = {"logout", "password_reset_confirm"}
API = {"api:openapi", "api:imports", "api:import", "api:import-retry"}
# The MLflow endpoint takes a token, never a session: tests/tracking/test_errors.py checks that
# a signed-in owner, another user and a visitor all get UNAUTHENTICATED without one (and
# tests/tracking/test_artifact_endpoints.py the same for the artifact proxy).
MLFLOW = {"tracking:endpoint", "tracking:not-found", "tracking:root", "tracking:artifacts"}


def _url_names(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_url_is_in_the_matrix():
    covered = {row[0] for row in MATRIX} | NOT_IN_MATRIX | API | MLFLOW
    assert _url_names() - covered == set()


def _cases(rows):
    return [
        pytest.param(row, role, id=f"{row[0]}-{role}{'-private' if rows is PRIVATE_ROWS else ''}")
        for row in rows
        for role in ROLES
    ]


def _check(client, world, row, role):
    name, args, method, data, expected = row
    if role != "anonymous":
        client.force_login(world[role])
    url = reverse(name, args=args(world))
    data = {k: world["run"].pk if v == "RUN" else v for k, v in (data or {}).items()}
    response = getattr(client, method)(url, data)
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302, (url, role, response.status_code)
        assert response["Location"].startswith(reverse("login")), response["Location"]
    elif want == OK:
        assert response.status_code in (200, 204, 302, 303), (url, role, response.status_code)
    else:
        assert response.status_code == want, (url, role, response.status_code)
    if role != "owner" and response.status_code == 200:
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode()
        hidden = PRIVATE_TITLES + (() if role == "mentor" else MENTOR_TITLES)
        leaked = [title for title in hidden if title in body]
        assert not leaked, (url, role, leaked)


@pytest.mark.parametrize(("row", "role"), _cases(MATRIX))
def test_each_role_gets_what_the_visibility_rule_allows(client, world, row, role):
    _check(client, world, row, role)


@pytest.mark.parametrize(("row", "role"), _cases(PRIVATE_ROWS))
def test_private_work_is_hidden_even_from_a_mentor(client, world, row, role):
    _check(client, world, row, role)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_the_api_answers_only_the_tokens_owner(client, world, role):
    auth = {"Authorization": f"Bearer {world['tokens'][role]}"}
    url = reverse("api:import", args=[world["shared"].slug, world["import"].pk])

    response = client.get(url, headers=auth)

    assert response.status_code == (200 if role == "owner" else 404)


@pytest.mark.parametrize("role", [r for r in SIGNED_IN if r != "owner"])
def test_only_the_tokens_owner_can_retry_an_import_through_the_api(client, world, role):
    auth = {"Authorization": f"Bearer {world['tokens'][role]}"}
    url = reverse("api:import-retry", args=[world["shared"].slug, world["import"].pk])
    before = ExperimentImport.objects.get(pk=world["import"].pk)

    response = client.post(url, {"run_name": "taken over"}, headers=auth)

    assert response.status_code == 404
    after = ExperimentImport.objects.get(pk=world["import"].pk)
    assert (after.status, after.run_name) == (before.status, before.run_name)


def test_the_api_answers_401_without_a_token(client, world):
    url = reverse("api:import", args=[world["shared"].slug, world["import"].pk])

    assert client.get(url).status_code == 401
    assert client.get(reverse("api:openapi")).status_code == 200


@pytest.mark.parametrize("role", ["mentor", "other_mentor", "revoked", "other"])
def test_nobody_but_the_owner_can_delete_her_work(client, world, role):
    client.force_login(world[role])

    for url in (
        reverse("projects:delete", args=[world["shared"].slug]),
        reverse("milestones:goal-delete", args=[world["goal"].pk]),
        reverse("milestones:milestone-delete", args=[world["milestone"].pk]),
    ):
        assert client.post(url).status_code == 404

    world["shared"].refresh_from_db()
    world["milestone"].refresh_from_db()
    world["goal"].refresh_from_db()


def _reader_cases():
    rows = READER_ROWS + PUBLIC_READER_ROWS
    return [
        pytest.param(row, role, id=f"{row[0]}-{role}-reader-{i}")
        for i, row in enumerate(rows)
        for role in ROLES
    ]


@pytest.mark.parametrize(("row", "role"), _reader_cases())
def test_a_projects_results_are_read_as_the_visibility_rule_allows(client, world, row, role):
    _check(client, world, row, role)


@pytest.mark.parametrize("role", ["mentor", "revoked", "other"])
def test_a_reader_of_the_results_changes_nothing(client, world, role):
    client.force_login(world[role])
    shared, imp = world["shared"], world["import"]
    key = reader_key(shared)

    for url in (
        reverse("projects:import-upload", args=[shared.slug]),
        reverse("projects:metric-direction", args=[shared.slug]),
        reverse("projects:import-retry", args=[shared.slug, imp.pk]),
        reverse("projects:import-delete", args=[shared.slug, imp.pk]),
        f"/projects/{key}/imports/",
        f"/projects/{key}/stats/direction/",
        f"/projects/{key}/imports/{imp.pk}/delete/",
        f"/projects/{key}/edit/",
    ):
        response = client.post(url, {"metric": "val/auc", "direction": "lower"})
        assert response.status_code == 404, url
    assert client.post(reverse("projects:runs", args=[key])).status_code == 405

    shared.refresh_from_db()
    assert shared.metric_directions == {}
    assert ExperimentImport.objects.filter(pk=imp.pk).exists()


def test_a_revoked_mentor_loses_the_results_at_once(client, world):
    url = reverse("projects:results", args=[reader_key(world["shared"])])
    client.force_login(world["mentor"])
    assert client.get(url).status_code == 200

    mentorship_revoke(mentorship=world["alice_mentorship"], actor=world["alice"])

    assert client.get(url).status_code == 404
