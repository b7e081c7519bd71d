"""The public profile and project pages: what a visitor sees, what nobody else sees, the
owner's preview, and the cache that is made stale by every change the pages show."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from milestones.models import Milestone, QuarterlyGoal
from milestones.services import milestone_set_status
from portfolio.public.cache import invalidate
from projects.services import project_set_visibility
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    create_project,
    import_results,
    long_csv,
    save_revision,
)

pytestmark = pytest.mark.django_db


def _profile_url(user) -> str:
    return reverse("public:profile", args=[user.profile.slug])


def _project_url(project) -> str:
    return reverse("public:project", args=[project.owner.profile.slug, project.slug])


@pytest.fixture
def public_alice(alice):
    profile = alice.profile
    profile.is_public = True
    profile.display_name = "Alice Liddell"
    profile.headline = "ML engineer, churn and fraud"
    profile.bio = "I ship **models**."
    profile.links = ["https://github.com/alice"]
    profile.open_to_work = True
    profile.save()
    return alice


@pytest.fixture
def churn(public_alice):
    project = create_project(
        owner=public_alice,
        title="Churn model",
        visibility="public",
        tags=["pytorch", "churn"],
        problem="Predict churn from usage logs.",
    )
    import_results(
        project,
        ("auc.csv", long_csv({("base", "val/auc"): [0.7, 0.78], ("wide", "val/auc"): [0.7, 0.84]})),
    )
    save_revision(project, success_metric="val/auc", success_target=0.8, change_note="Target")
    project.refresh_from_db()
    return project


def test_a_visitor_reads_the_profile(client, public_alice, churn):
    goal = GoalFactory(owner=public_alice, title="Ship churn", visibility="public")
    milestone_set_status(
        milestone=MilestoneFactory(goal=goal, title="Deploy behind a flag"),
        status="done",
        evidence_url="https://example.com/pr/1",
    )

    response = client.get(_profile_url(public_alice))

    assert response.status_code == 200
    text = response.text
    for expected in (
        "Alice Liddell", "ML engineer, churn and fraud", "<strong>models</strong>",
        "https://github.com/alice", "Open to work", "pytorch", "Churn model",
        "Deploy behind a flag", "https://example.com/pr/1", "Member since",
    ):  # fmt: skip
        assert expected in text, expected
    assert 'data-testid="key-metric"' in text
    assert "val/auc <strong>0.84</strong> · target ≥ 0.8" in text
    assert "Target met" in text


def test_the_profile_says_so_when_there_is_nothing_yet(client, public_alice):
    text = client.get(_profile_url(public_alice)).text

    assert "No published projects yet." in text
    assert "No completed milestones shared yet." in text


def test_the_activity_calendar_follows_the_profile_setting(client, public_alice, churn):
    assert 'data-testid="public-activity"' in client.get(_profile_url(public_alice)).text

    public_alice.profile.show_activity = False
    public_alice.profile.save()

    assert 'data-testid="public-activity"' not in client.get(_profile_url(public_alice)).text


def test_the_profile_draws_its_calendar_on_the_server_and_loads_no_chart_library(
    client, public_alice, churn
):
    text = client.get(_profile_url(public_alice)).text

    calendar = text[text.index('data-testid="activity-calendar"') :]
    assert '<svg viewBox="0 0 719 107"' in calendar
    assert len(re.findall(r"<rect class=\"cal-\d\" x=", calendar)) >= 52 * 7
    assert re.search(r"<title>\w{3} \w{3} \d+, \d{4}: \d+ check-ins? · ", calendar)
    assert re.search(r"<title>\w{3} \w{3} \d+, \d{4}: no activity</title>", calendar)
    assert "plotly" not in text
    assert "charts.js" not in text


def test_a_project_page_loads_plotly_only_when_it_draws_a_chart(client, public_alice, churn):
    bare = create_project(owner=public_alice, title="Notes only", visibility="public")

    assert "vendor/plotly-cartesian.min.js" in client.get(_project_url(churn)).text
    assert "plotly" not in client.get(_project_url(bare)).text


def test_a_private_profile_is_404_to_all_but_its_owner_who_sees_a_preview(client, alice, bob):
    create_project(owner=alice, title="Churn model", visibility="public")

    assert client.get(_profile_url(alice)).status_code == 404
    client.force_login(bob)
    assert client.get(_profile_url(alice)).status_code == 404
    client.force_login(alice)
    response = client.get(_profile_url(alice))
    assert response.status_code == 200
    assert 'data-testid="preview-banner"' in response.text
    assert "Churn model" in response.text


def test_the_owner_sees_exactly_what_visitors_see(client, public_alice, churn):
    create_project(owner=public_alice, title="Private draft", visibility="private")
    client.force_login(public_alice)

    response = client.get(_profile_url(public_alice))

    assert "Private draft" not in response.text
    assert 'data-testid="owner-banner"' in response.text


def test_a_visitor_reads_a_project_with_the_source_of_every_number(client, churn):
    response = client.get(_project_url(churn))

    assert response.status_code == 200
    text = response.text
    imp = churn.imports.get()
    assert "Predict churn from usage logs." in text
    assert "revision 2 · " in text
    assert "Target" in text  # the change note in the history
    assert "auc.csv" in text
    assert imp.sha256[:12] in text
    assert "long_csv" in text
    assert 'data-testid="provenance"' in text
    assert text.index(">wide<") < text.index(">base<")  # the best run first
    assert 'hx-trigger="revealed"' in text


def test_the_chart_of_a_public_project_draws_its_runs(client, churn):
    url = reverse("public:chart", args=[churn.owner.profile.slug, churn.slug])
    run_ids = ",".join(str(pk) for pk in churn.runs.values_list("pk", flat=True))

    response = client.get(url, {"metric": "val/auc", "runs": run_ids})
    data = client.get(
        reverse("public:chart-data", args=[churn.owner.profile.slug, churn.slug]),
        {"metric": "val/auc", "runs": run_ids},
    )

    assert response.status_code == 200
    assert 'data-testid="chart-card"' in response.text
    assert "/u/alice/" in response.text  # zooming asks the public endpoint
    assert data.status_code == 200
    assert {t["name"] for t in data.json()["data"]} >= {"base", "wide"}


@pytest.mark.parametrize("visibility", ["private", "mentors"])
def test_hidden_projects_and_their_charts_are_404(client, public_alice, visibility):
    project = create_project(owner=public_alice, title="Hidden", visibility=visibility)
    args = [public_alice.profile.slug, project.slug]

    for name in ("public:project", "public:chart", "public:chart-data"):
        assert client.get(reverse(name, args=args), {"metric": "x", "runs": "1"}).status_code == 404
    client.force_login(public_alice)  # not even for the owner: the page is what visitors see
    assert client.get(_project_url(project)).status_code == 404


def test_the_profile_page_costs_a_bounded_number_of_queries(
    client, public_alice, django_assert_max_num_queries
):
    for n in range(30):
        metric = {"success_metric": "val/auc", "success_target": 0.8} if n % 3 == 0 else {}
        project = create_project(
            owner=public_alice, title=f"Project {n}", visibility="public", **metric
        )
        if n % 3 == 0:
            import_results(project, (f"p{n}.csv", long_csv({("r", "val/auc"): [0.7, 0.9]})))
    now = timezone.now()
    for q in range(1, 5):
        goal = QuarterlyGoal.objects.create(
            owner=public_alice, year=2026, quarter=q, title=f"Goal {q}", visibility="public"
        )
        Milestone.objects.bulk_create(
            Milestone(goal=goal, title=f"M{q}-{m}", status="done", done_at=now) for m in range(75)
        )
    invalidate(public_alice.pk)

    with django_assert_max_num_queries(10):
        response = client.get(_profile_url(public_alice))
    with django_assert_max_num_queries(2):
        cached = client.get(_profile_url(public_alice))

    assert response.text.count('data-testid="public-project"') == 30
    assert response.text.count('data-testid="done-milestone"') == 300
    assert cached.text.count('data-testid="done-milestone"') == 300


# --- The cache follows every change -------------------------------------------------------


def test_publishing_and_unpublishing_a_project_shows_at_once(
    client, public_alice, churn, django_capture_on_commit_callbacks
):
    draft = create_project(owner=public_alice, title="Fraud model", visibility="private")
    assert "Fraud model" not in client.get(_profile_url(public_alice)).text

    with django_capture_on_commit_callbacks(execute=True):
        project_set_visibility(project=draft, visibility="public")
    assert "Fraud model" in client.get(_profile_url(public_alice)).text
    assert client.get(_project_url(draft)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        project_set_visibility(project=draft, visibility="private")
    assert "Fraud model" not in client.get(_profile_url(public_alice)).text
    assert client.get(_project_url(draft)).status_code == 404


def test_unpublishing_the_profile_takes_every_page_down_at_once(client, public_alice, churn):
    assert client.get(_project_url(churn)).status_code == 200

    public_alice.profile.is_public = False
    public_alice.profile.save()

    assert client.get(_profile_url(public_alice)).status_code == 404
    assert client.get(_project_url(churn)).status_code == 404


def test_a_new_revision_an_import_and_a_milestone_reach_the_cached_pages(
    client, public_alice, churn, django_capture_on_commit_callbacks
):
    client.get(_profile_url(public_alice))
    client.get(_project_url(churn))

    with django_capture_on_commit_callbacks(execute=True):
        save_revision(churn, problem="Predict churn a month ahead.", change_note="Sharper")
        import_results(churn, ("more.csv", long_csv({("huge", "val/auc"): [0.8, 0.93]})))
        goal = GoalFactory(owner=public_alice, title="Ship", visibility="public")
        milestone_set_status(milestone=MilestoneFactory(goal=goal, title="Go live"), status="done")

    project = client.get(_project_url(churn)).text
    profile = client.get(_profile_url(public_alice)).text
    assert "Predict churn a month ahead." in project
    assert "more.csv" in project
    assert "<strong>0.93</strong>" in profile
    assert "Go live" in profile


def _jsonld(html: str) -> list[dict]:
    import json
    import re

    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_the_pages_carry_sharing_tags_and_json_ld_naming_the_right_person(
    client, public_alice, churn, bob
):
    profile = client.get(_profile_url(public_alice)).text
    project = client.get(_project_url(churn)).text

    [page] = _jsonld(profile)
    assert page["@type"] == "ProfilePage"
    assert page["mainEntity"]["name"] == "Alice Liddell"
    assert [w["name"] for w in page["mainEntity"]["subjectOf"]] == ["Churn model"]
    [work] = _jsonld(project)
    assert work["name"] == "Churn model"
    assert work["author"]["name"] == "Alice Liddell"
    assert '<meta property="og:title" content="Alice Liddell: ML engineering portfolio">' in profile
    assert 'property="og:image" content="http://testserver/u/alice/preview.png"' in profile
    assert '<link rel="canonical" href="http://testserver/u/alice/">' in profile
    assert "noindex" not in project


def test_an_unlisted_project_has_no_structured_data(client, public_alice):
    unlisted = create_project(owner=public_alice, title="Link only", visibility="unlisted")

    page = client.get(_project_url(unlisted)).text

    assert _jsonld(page) == []
    assert '<meta name="robots" content="noindex">' in page


def _without_request_values(content: bytes) -> bytes:
    content = re.sub(rb'nonce="[^"]*"', b"nonce", content)
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"csrf", content)


def test_the_next_visitor_gets_the_whole_page_without_a_query(
    client, public_alice, churn, django_assert_num_queries
):
    first = client.get(_profile_url(public_alice))

    with django_assert_num_queries(0):
        again = client.get(_profile_url(public_alice))

    assert again.status_code == 200
    # The same page, but the nonce and CSRF token are the visitor's own (test_public_cache.py).
    assert _without_request_values(again.content) == _without_request_values(first.content)
    assert again.content != first.content


def test_a_new_release_never_serves_pages_of_the_old_one(client, public_alice, churn, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolio.public import cache as public_cache

    client.get(_profile_url(public_alice))
    monkeypatch.setattr(public_cache, "RELEASE", "next-release")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(_profile_url(public_alice))

    assert response.status_code == 200
    assert len(queries) > 0  # rendered again, not served from the old release's cache
