"""A mentor's arrival: the invitation survives any way of signing up, and a passage copied from
the rendered record is a quote of it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portfolio.mentoring.comments import comment_on_revision
from portfolio.mentoring.mentorships import (
    mentorship_accept,
    mentorship_invite,
    mentorship_revoke,
)
from portfolio.models import Mentorship
from tests.factories import UserFactory, create_project

pytestmark = pytest.mark.django_db

PASSWORD = "quiet lantern orbit 47"


def _signup(client, **extra):
    data = {"username": "dana", "email": "dana@example.com", "password1": PASSWORD}
    return client.post(reverse("signup"), {**data, "password2": PASSWORD, **extra})


def test_the_headers_sign_up_link_keeps_the_invitation(client):
    alice = UserFactory(username="alice")
    _, token = mentorship_invite(engineer=alice)
    client.get(reverse("mentoring:accept", args=[token]))
    # The header's link: no `next`, the invitation page left behind.
    assert client.get(reverse("signup")).status_code == 200

    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("mentoring:dashboard")
    mentorship = Mentorship.objects.get(engineer=alice)
    assert mentorship.mentor.username == "dana"
    assert mentorship.accepted_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "You now mentor" in page


def test_the_invitation_is_used_once_even_when_kept(client):
    alice = UserFactory(username="alice")
    _, token = mentorship_invite(engineer=alice)
    client.get(reverse("mentoring:accept", args=[token]))
    _signup(client)
    client.logout()

    response = _signup(client, username="erin", email="erin@example.com")

    assert response["Location"] == reverse("milestones:plan")
    assert Mentorship.objects.get(engineer=alice).mentor.username == "dana"


def test_a_withdrawn_invitation_says_so_after_sign_up_and_attaches_nobody(client):
    alice = UserFactory(username="alice")
    _, token = mentorship_invite(engineer=alice)
    client.get(reverse("mentoring:accept", args=[token]))
    mentorship_revoke(mentorship=Mentorship.objects.get(engineer=alice), actor=alice)

    response = _signup(client)

    assert response["Location"] == reverse("milestones:plan")
    assert "it was withdrawn" in client.get(response["Location"], follow=True).content.decode()
    assert Mentorship.objects.get(engineer=alice).mentor is None


@pytest.fixture
def review(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    project = create_project(
        owner=alice,
        title="Churn model",
        visibility="mentors",
        data_splits="We split by **time**:\n\n- train: 2021\n- test: 2022 (the *latest* year)",
    )
    return {"alice": alice, "bob": bob, "project": project}


def test_a_passage_copied_from_the_rendered_record_is_a_quote(client, review):
    project = review["project"]
    url = reverse(
        "mentoring:revision-comment", args=[review["alice"].profile.slug, project.slug, 1]
    )
    client.force_login(review["bob"])
    # What a browser copies from the page: no asterisks, list items on their own lines.
    copied = "We split by time:\ntrain: 2021\ntest: 2022 (the latest year)"

    response = client.post(url, {"body": "Why 2021?", "section": "data_splits", "quote": copied})

    assert response.status_code == 302
    comment = project.current_revision.comments.get()
    assert comment.quote == "We split by time: train: 2021 test: 2022 (the latest year)"


def test_the_markdown_source_still_quotes_and_other_words_do_not(review):
    revision = review["project"].current_revision

    comment = comment_on_revision(
        author=review["bob"],
        revision=revision,
        body="x",
        section="data_splits",
        quote="by **time**",
    )
    assert comment.quote == "by **time**"
    with pytest.raises(ValidationError, match="not in this section"):
        comment_on_revision(
            author=review["bob"],
            revision=revision,
            body="x",
            section="data_splits",
            quote="by random",
        )
