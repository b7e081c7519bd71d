"""Feedback pinned to a run or a chart: written from the result pages by the engineer or a
current mentor, it reaches the engineer like every thread, saying what it is pinned to with a
link that opens that run or chart for whoever reads it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portfolio.mentoring.comments import comment_on_results
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Comment, Notification
from projects.selectors import reader_key
from tests.factories import UserFactory, create_project, import_results, long_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    alice, bob, frank = (UserFactory(username=n) for n in ("alice", "bob", "frank"))
    _, token = mentorship_invite(engineer=alice)
    mentorship = mentorship_accept(token=token, mentor=bob)
    project = create_project(owner=alice, title="Churn model", visibility="mentors")
    import_results(
        project,
        (
            "runs.csv",
            long_csv(
                {
                    ("base", "val/loss"): [0.9, 0.5],
                    ("wide", "val/loss"): [0.8, 0.4],
                    ("wide", "val/auc"): [0.7, 0.8],
                }
            ),
        ),
    )
    runs = {r.name: r for r in project.runs.all()}
    return {
        "alice": alice,
        "bob": bob,
        "frank": frank,
        "mentorship": mentorship,
        "project": project,
        "runs": runs,
        "post": reverse("mentoring:results-comment", args=[alice.profile.slug, project.slug]),
        "review": reverse("mentoring:project", args=[alice.profile.slug, project.slug]),
    }


def _chart_query(cast, *names):
    return ",".join(str(cast["runs"][n].pk) for n in names)


def test_a_mentor_pins_feedback_to_a_chart_and_goes_back_to_it(client, cast):
    client.force_login(cast["bob"])
    charts = reverse("projects:results", args=[reader_key(cast["project"])]) + "?metric=val/loss"

    response = client.post(
        cast["post"],
        {
            "body": "The wide run overfits after step 1.",
            "metric": "val/loss",
            "runs": _chart_query(cast, "base", "wide"),
            "next": charts,
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == charts
    assert "Feedback on chart val/loss for runs “base”, “wide” saved" in response.content.decode()
    comment = Comment.objects.get()
    assert comment.revision == cast["project"].current_revision
    assert comment.pin["metric"] == "val/loss"
    assert comment.pin["names"] == ["base", "wide"]


def test_the_engineer_is_told_and_reads_the_pin_with_a_link_to_her_chart(client, cast):
    ids = _chart_query(cast, "base", "wide")
    comment_on_results(
        author=cast["bob"],
        project=cast["project"],
        body="Look at this.",
        metric="val/loss",
        run_ids=[int(i) for i in ids.split(",")],
    )
    client.force_login(cast["alice"])

    notifications = client.get(reverse("mentoring:notifications")).content.decode()
    review = client.get(cast["review"]).content.decode()

    assert Notification.objects.filter(recipient=cast["alice"], kind="comment").count() == 1
    assert "commented on chart val/loss for runs “base”, “wide” of “Churn model”" in notifications
    own = reverse("projects:results", args=[cast["project"].slug])
    assert f'href="{own}?metric=val%2Floss&amp;runs={ids.replace(",", "%2C")}"' in review
    assert 'data-testid="thread-pin"' in review
    assert "On the results" in review


def test_the_mentor_reads_the_same_pin_with_a_link_by_the_reader_key(client, cast):
    run = cast["runs"]["wide"]
    comment_on_results(author=cast["bob"], project=cast["project"], body="Why?", run=run)
    client.force_login(cast["bob"])

    review = client.get(cast["review"]).content.decode()

    url = reverse("projects:run", args=[reader_key(cast["project"]), run.pk])
    assert f'On <a href="{url}">run “wide”</a>' in review
    assert client.get(url).status_code == 200


def test_a_run_pin_outlives_the_run(client, cast):
    run = cast["runs"]["wide"]
    comment = comment_on_results(author=cast["bob"], project=cast["project"], body="x", run=run)
    run.delete()
    client.force_login(cast["alice"])

    review = client.get(cast["review"]).content.decode()

    comment.refresh_from_db()
    assert comment.run is None
    assert 'run “wide” <span class="muted">(no longer imported)</span>' in review


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"body": "x"}, "Pick a run, or a chart"),
        ({"body": "x", "metric": "val/loss", "runs": ""}, "Pick a run, or a chart"),
        ({"body": "x", "metric": "val/auc", "runs": "BASE"}, "Not every chosen run"),
        ({"body": "", "metric": "val/loss", "runs": "BASE"}, "Write something first"),
    ],
)
def test_bad_pins_are_refused_with_a_message_and_save_nothing(client, cast, fields, error):
    client.force_login(cast["bob"])
    fields = {k: str(cast["runs"]["base"].pk) if v == "BASE" else v for k, v in fields.items()}

    response = client.post(cast["post"], fields, follow=True)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Comment.objects.exists()


def test_a_run_of_another_project_is_a_404(client, cast):
    other = create_project(owner=cast["alice"], title="Other", visibility="mentors")
    import_results(other, ("o.csv", long_csv({("x", "val/loss"): [1.0]})))
    client.force_login(cast["bob"])

    response = client.post(cast["post"], {"body": "x", "run": other.runs.get().pk})

    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_the_service_refuses_a_run_of_another_project(cast):
    other = create_project(owner=cast["alice"], title="Other", visibility="mentors")
    import_results(other, ("o.csv", long_csv({("x", "val/loss"): [1.0]})))

    with pytest.raises(ValidationError):
        comment_on_results(
            author=cast["bob"], project=cast["project"], body="x", run=other.runs.get()
        )


def test_the_pin_form_shows_to_the_engineer_and_her_mentor_only(client, cast):
    cast["project"].visibility = "public"
    cast["project"].save()
    run = cast["runs"]["wide"]
    url = reverse("projects:run", args=[reader_key(cast["project"]), run.pk])

    seen = {}
    for who in ("alice", "bob", "frank"):
        client.force_login(cast[who])
        seen[who] = 'data-testid="pin-feedback"' in client.get(url).content.decode()

    assert seen == {"alice": True, "bob": True, "frank": False}


def test_a_revoked_mentor_can_no_longer_pin_feedback(client, cast):
    mentorship_revoke(mentorship=cast["mentorship"], actor=cast["alice"])
    client.force_login(cast["bob"])

    response = client.post(cast["post"], {"body": "x", "run": cast["runs"]["wide"].pk})

    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_the_engineers_project_page_counts_the_open_threads(client, cast):
    project = cast["project"]
    first = comment_on_results(
        author=cast["bob"], project=project, body="a", run=cast["runs"]["wide"]
    )
    comment_on_results(author=cast["bob"], project=project, body="b", run=cast["runs"]["base"])
    from portfolio.mentoring.comments import thread_set_resolved

    thread_set_resolved(thread=first, user=cast["alice"], resolved=True)
    client.force_login(cast["alice"])

    page = client.get(project.get_absolute_url()).content.decode()

    assert 'data-testid="open-threads" title="Open threads">1 open</span>' in page
