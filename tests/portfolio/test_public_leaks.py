"""Nothing private reaches a visitor: every public URL, fragment and chart answer, fetched signed
out, is free of the marker strings planted in private and mentors-only work.

alice's profile is public. Her private and mentors-only goals, milestones, projects, revisions,
runs, import files and the feedback on her public project each carry a unique marker; so does
everything of bob, whose profile is private although some of his projects are public.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from milestones.services import checkin_create, milestone_set_status
from mlsync.models import SyncRun
from mlsync.services import connection_create
from portfolio.mentoring.comments import comment_on_revision
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from projects.models import Run
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    import_results,
    long_csv,
    save_revision,
)

pytestmark = pytest.mark.django_db

MARK = "LEAKMARK"


def _m(what: str) -> str:
    return f"{MARK}-{what}"


@pytest.fixture
def world(db):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    mentor = UserFactory(username="morgan")
    alice.profile.is_public = True
    alice.profile.save()
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=mentor)

    public = create_project(
        owner=alice,
        title="Churn model",
        visibility="public",
        problem=f"An early draft naming {_m('old-revision-text')}.",
        success_metric="val/auc",
        success_target=0.8,
    )
    save_revision(public, problem="Predict churn from usage logs.", change_note="Reworded")
    import_results(public, ("auc.csv", long_csv({("baseline", "val/auc"): [0.7, 0.82]})))
    comment_on_revision(
        author=mentor,
        revision=public.current_revision,
        body=f"Feedback {_m('comment')}",
        section="problem",
    )
    for visibility in ("private", "mentors"):
        project = create_project(
            owner=alice,
            title=_m(f"{visibility}-project"),
            visibility=visibility,
            summary=_m(f"{visibility}-summary"),
            tags=[_m(f"{visibility}-tag").lower()],
        )
        save_revision(project, change_note=_m(f"{visibility}-change-note"))
        import_results(
            project,
            (
                f"{_m(visibility + '-file')}.csv",
                long_csv({(_m(f"{visibility}-run"), _m(f"{visibility}-metric")): [1, 2]}),
            ),
        )
        goal = GoalFactory(owner=alice, title=_m(f"{visibility}-goal"), visibility=visibility)
        milestone = MilestoneFactory(goal=goal, title=_m(f"{visibility}-milestone"))
        checkin_create(
            milestone=milestone, author=alice, progress=50, note=_m(f"{visibility}-checkin")
        )
        milestone_set_status(milestone=milestone, status="done")
    public_goal = GoalFactory(owner=alice, title="Ship the churn model", visibility="public")
    done = MilestoneFactory(goal=public_goal, title="Deploy behind a flag")
    milestone_set_status(milestone=done, status="done")
    checkin_create(milestone=done, author=alice, progress=100, note=_m("public-checkin-note"))

    # Sync from MLflow settings are the owner's, even on a public project.
    connection = connection_create(
        project=public,
        kind="server",
        server_url=f"https://{_m('sync-host').lower()}.example.com",
        experiments=[_m("sync-experiment")],
        token=_m("sync-token"),
    )
    SyncRun.objects.create(connection=connection, state="failed", reason=_m("sync-reason"))

    bobs = create_project(owner=bob, title=_m("bob-public-project"), visibility="public")
    import_results(bobs, ("bob.csv", long_csv({(_m("bob-run"), "loss"): [1.0, 0.5]})))
    GoalFactory(owner=bob, title=_m("bob-public-goal"), visibility="public")
    return {"alice": alice, "bob": bob, "public": public, "bobs": bobs}


def _found(body: str) -> list[str]:
    return re.findall(rf"{MARK}-[\w-]+", body, re.I)


def _urls(world) -> dict[str, list[str]]:
    alice, bob = world["alice"].profile.slug, world["bob"].profile.slug
    project = world["public"]
    runs = ",".join(str(pk) for pk in project.runs.values_list("pk", flat=True))
    shown = [
        reverse("public:profile", args=[alice]),
        reverse("public:project", args=[alice, project.slug]),
        reverse("public:chart", args=[alice, project.slug]) + f"?metric=val/auc&runs={runs}",
        reverse("public:chart-data", args=[alice, project.slug]) + f"?metric=val/auc&runs={runs}",
        reverse("public:resume-json", args=[alice]),
        reverse("public:markdown", args=[alice]),
        reverse("sitemap"),
        reverse("robots"),
    ]
    hidden = [
        reverse("public:profile", args=[bob]),
        reverse("public:resume-json", args=[bob]),
        reverse("public:markdown", args=[bob]),
        reverse("public:preview", args=[bob]),
    ]
    for p in world["alice"].projects.exclude(pk=project.pk):
        hidden += [
            reverse("public:project", args=[alice, p.slug]),
            reverse("public:project-preview", args=[alice, p.slug]),
            reverse("public:chart", args=[alice, p.slug]) + f"?metric={MARK}-x",
            reverse("public:chart-data", args=[alice, p.slug]) + f"?metric={MARK}-x",
        ]
    hidden += [
        reverse("public:project", args=[bob, world["bobs"].slug]),
        reverse("public:chart", args=[bob, world["bobs"].slug]) + "?metric=loss",
        reverse("public:chart-data", args=[bob, world["bobs"].slug]) + "?metric=loss",
    ]
    return {"shown": shown, "hidden": hidden}


def test_a_visitor_sees_no_marker_on_any_public_url(client, world):
    urls = _urls(world)

    for url in urls["shown"]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert MARK.lower() not in body.lower(), (url, _found(body))
    for url in urls["hidden"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert MARK.lower() not in response.content.decode().lower(), url


@pytest.mark.parametrize("name", ["public:chart", "public:chart-data"])
def test_a_public_chart_never_draws_runs_of_another_project(client, world, name):
    alice = world["alice"]
    others = alice.projects.exclude(pk=world["public"].pk)
    run_ids = ",".join(
        str(pk) for pk in Run.objects.filter(project__in=others).values_list("pk", flat=True)
    )
    metrics = [_m("private-metric"), _m("mentors-metric")]

    for metric in metrics:
        url = reverse(name, args=[alice.profile.slug, world["public"].slug])
        response = client.get(url, {"metric": metric, "runs": run_ids})
        body = response.content.decode().lower()
        # The metric asked for may be echoed back; no run of those projects is drawn.
        assert _m("private-run").lower() not in body
        assert _m("mentors-run").lower() not in body


def test_the_public_pages_show_the_public_work(client, world):
    profile = client.get(reverse("public:profile", args=[world["alice"].profile.slug]))
    project = client.get(
        reverse("public:project", args=[world["alice"].profile.slug, world["public"].slug])
    )

    assert "Churn model" in profile.text
    assert "Deploy behind a flag" in profile.text
    assert "Predict churn from usage logs." in project.text
    assert "auc.csv" in project.text  # provenance: the file the numbers came from


@pytest.mark.parametrize("who", ["alice", "bob", "morgan"])
def test_signed_in_people_see_the_same_public_pages(client, world, who):
    """Public pages render as a visitor sees them, whoever asks, the owner included."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=who))

    for url in _urls(world)["shown"]:
        body = client.get(url).content.decode()
        assert MARK.lower() not in body.lower(), (who, url, _found(body))


def test_an_unlisted_project_opens_by_link_but_is_listed_nowhere_and_not_indexed(client, world):
    alice = world["alice"]
    unlisted = create_project(owner=alice, title="Link-only write-up", visibility="unlisted")

    profile = client.get(reverse("public:profile", args=[alice.profile.slug]))
    page = client.get(reverse("public:project", args=[alice.profile.slug, unlisted.slug]))
    public = client.get(reverse("public:project", args=[alice.profile.slug, world["public"].slug]))

    assert "Link-only write-up" not in profile.text
    assert page.status_code == 200
    assert "Link-only write-up" in page.text
    assert '<meta name="robots" content="noindex">' in page.text
    assert 'content="noindex"' not in public.text
