"""The public project page /u/<slug>/<project>/ with its chart card and zoom JSON: what a
visitor reads (record, history, charts, verdicts, the provenance of every number) and the 404
rule that the page and both chart endpoints share, whoever asks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.mentoring.comments import comment_on_revision
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from portfolio.public.cache import invalidate
from tests.factories import UserFactory, create_project, import_results, long_csv, save_revision

pytestmark = pytest.mark.django_db

ENDPOINTS = ("public:project", "public:chart", "public:chart-data")


def _url(name: str, project) -> str:
    return reverse(name, args=[project.owner.profile.slug, project.slug])


def _get(client, name: str, project, runs: str = "1", metric: str = "val/auc"):
    params = {} if name == "public:project" else {"metric": metric, "runs": runs}
    return client.get(_url(name, project), params)


@pytest.fixture
def public_alice(alice):
    alice.profile.is_public = True
    alice.profile.save()
    return alice


@pytest.fixture
def fraud(public_alice):
    project = create_project(
        owner=public_alice,
        title="Card fraud detector",
        summary="Catch fraud in real time.",
        visibility="public",
        tags=["xgboost", "fraud"],
        problem="Spot **fraudulent** card payments within 50 ms.",
        change_note="First draft",
    )
    import_results(
        project,
        (
            "fraud-runs.csv",
            long_csv(
                {
                    ("baseline", "val/auc"): [0.71, 0.74],
                    ("tuned", "val/auc"): [0.75, 0.88],
                    ("tuned", "val/loss"): [0.6, 0.3],
                }
            ),
        ),
    )
    save_revision(project, success_metric="val/auc", success_target=0.85, change_note="Set target")
    project.refresh_from_db()
    return project


@pytest.fixture
def mentor(alice):
    mentor = UserFactory(username="mentor-of-alice")
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=mentor)
    return mentor


def test_a_visitor_reads_the_record_history_and_provenance(client, fraud):
    response = client.get(_url("public:project", fraud))

    assert response.status_code == 200
    text = response.text
    imp = fraud.imports.get()
    # The current revision: title, summary, status, tags, sections rendered as markdown.
    assert "Card fraud detector" in text
    assert "Catch fraud in real time." in text
    assert "<strong>fraudulent</strong>" in text
    assert "xgboost" in text and "Active" in text
    # "revision N · date" and the history, newest first, with change notes.
    assert "revision 2 · " in text
    assert text.index("Set target") < text.index("First draft")
    # Provenance: the file, the sha256 prefix, the importer and the date of the import.
    assert "fraud-runs.csv" in text
    assert imp.sha256[:12] in text
    assert imp.detected_format and imp.detected_format in text
    assert imp.importer_version in text
    assert (imp.finished_at or imp.created_at).strftime("%b") in text
    # The best run on the success metric, in the top-runs table, best first.
    assert text.index(">tuned<") < text.index(">baseline<")
    assert "0.88" in text
    # Charts load lazily from the public endpoint, success metric first.
    assert 'hx-trigger="revealed"' in text
    slots = [line for line in text.splitlines() if 'data-testid="chart-slot"' in line]
    assert slots and "metric=val/auc" in slots[0]
    assert f"/u/{fraud.owner.profile.slug}/{fraud.slug}/chart/" in slots[0]


def test_the_chart_fragment_returns_a_figure_and_zoom_reads_the_public_endpoint(client, fraud):
    runs = ",".join(str(pk) for pk in fraud.runs.values_list("pk", flat=True))

    card = _get(client, "public:chart", fraud, runs=runs)
    data = _get(client, "public:chart-data", fraud, runs=runs)

    assert card.status_code == 200
    assert 'type="application/json"' in card.text  # the figure, via json_script
    assert "val/auc" in card.text
    assert _url("public:chart-data", fraud) in card.text
    assert data.status_code == 200
    assert {trace["name"] for trace in data.json()["data"]} >= {"baseline", "tuned"}


def test_a_run_of_another_project_is_not_drawn(client, fraud, public_alice):
    other = create_project(owner=public_alice, visibility="private")
    import_results(other, ("secret.csv", long_csv({("secret-run", "val/auc"): [0.1, 0.2]})))
    runs = ",".join(str(pk) for pk in other.runs.values_list("pk", flat=True))

    data = _get(client, "public:chart-data", fraud, runs=runs)

    assert "secret-run" not in data.text


@pytest.mark.parametrize("visibility", ["private", "mentors"])
def test_hidden_projects_are_404_everywhere_for_everyone(
    client, public_alice, bob, mentor, visibility
):
    project = create_project(owner=public_alice, title="Hidden work", visibility=visibility)
    import_results(project, ("h.csv", long_csv({("r", "val/auc"): [0.5, 0.6]})))
    runs = ",".join(str(pk) for pk in project.runs.values_list("pk", flat=True))

    for viewer in (None, bob, mentor, public_alice):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        for name in ENDPOINTS:
            response = _get(client, name, project, runs=runs)
            assert response.status_code == 404, (viewer, name)
            assert "Hidden work" not in response.text


def test_a_private_profile_hides_its_public_projects_but_the_owner_previews(
    client, alice, bob, fraud
):
    alice.profile.is_public = False
    alice.profile.save()
    runs = ",".join(str(pk) for pk in fraud.runs.values_list("pk", flat=True))

    for name in ENDPOINTS:
        assert _get(client, name, fraud, runs=runs).status_code == 404
    client.force_login(bob)
    for name in ENDPOINTS:
        assert _get(client, name, fraud, runs=runs).status_code == 404

    client.force_login(alice)
    response = client.get(_url("public:project", fraud))
    assert response.status_code == 200
    assert "Only you can see this page: your profile is private" in response.text
    assert reverse("profile") in response.text
    assert "Card fraud detector" in response.text


def test_an_unknown_profile_or_project_is_404(client, fraud):
    assert client.get(reverse("public:project", args=["nobody", fraud.slug])).status_code == 404
    slug = fraud.owner.profile.slug
    assert client.get(reverse("public:project", args=[slug, "nothing"])).status_code == 404


def test_mentor_feedback_never_appears(client, fraud, mentor):
    comment_on_revision(
        author=mentor, revision=fraud.current_revision, body="Mentor says: check the leakage."
    )

    for viewer in (None, mentor, fraud.owner):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        assert "check the leakage" not in client.get(_url("public:project", fraud)).text


def test_the_owner_sees_only_the_public_page(client, fraud):
    client.force_login(fraud.owner)
    response = client.get(_url("public:project", fraud))

    assert response.status_code == 200
    assert "Only you can see this page" not in response.text


def test_the_page_costs_a_bounded_number_of_queries_with_50_runs(
    client, fraud, django_assert_max_num_queries
):
    series = {(f"run-{n:02d}", "val/auc"): [0.5, 0.5 + n / 200] for n in range(50)}
    series |= {(f"run-{n:02d}", "val/loss"): [1.0, 1.0 - n / 100] for n in range(50)}
    import_results(fraud, ("fifty.csv", long_csv(series)))
    assert fraud.runs.count() >= 50
    invalidate(fraud.owner_id)

    with django_assert_max_num_queries(20):
        response = client.get(_url("public:project", fraud))

    assert response.status_code == 200
    assert "run-49" in response.text  # the best run is listed with its source
    assert "fifty.csv" in response.text
