"""The core's pages reach the people side only through what portfolio registers
(projects/people.py): feedback and public-page links, the profile settings link and the flags
of the profile. Without a registration the core's pages still render, with no such links."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects import people
from tests.factories import create_project

pytestmark = pytest.mark.django_db


def _links(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_owners_project_page_links_its_feedback_and_its_public_page(alice_client, alice):
    project = create_project(owner=alice, visibility="public")
    page = _links(alice_client.get(project.get_absolute_url()))
    slug = alice.profile.slug
    assert f'href="{reverse("mentoring:project", args=[slug, project.slug])}">Feedback' in page
    assert f'href="{reverse("public:project", args=[slug, project.slug])}">Public page' in page


def test_a_private_project_has_feedback_but_no_public_page_link(alice_client, alice):
    project = create_project(owner=alice, visibility="private")
    page = _links(alice_client.get(project.get_absolute_url()))
    assert ">Feedback</a>" in page
    assert "Public page" not in page
    assert f"/u/{alice.profile.slug}/" not in page


def test_the_milestone_page_links_its_feedback(alice_client, alice, milestone):
    page = _links(alice_client.get(milestone.get_absolute_url()))
    url = reverse("mentoring:milestone", args=[alice.profile.slug, milestone.pk])
    assert f'href="{url}">Feedback</a>' in page


@pytest.mark.parametrize(("public", "shows", "said"), [
    (False, True, "Only you see this calendar."),
    (True, False, "Only you see this calendar."),
    (True, True, "Shown on your public profile"),
])  # fmt: skip
def test_the_activity_card_takes_the_profile_flags(alice_client, alice, public, shows, said):
    alice.profile.is_public = public
    alice.profile.show_activity = shows
    alice.profile.save()
    page = _links(alice_client.get(reverse("milestones:chart-activity")))
    assert said in page
    assert f'href="{reverse("profile")}">Profile settings</a>' in page


def test_without_the_people_side_the_core_pages_render_without_its_links(
    alice_client, alice, milestone, monkeypatch
):
    monkeypatch.setattr(people, "_links", {})
    monkeypatch.setattr(people, "_flags_source", None)
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(owner=alice, visibility="public")
    for url in (project.get_absolute_url(), milestone.get_absolute_url()):
        page = _links(alice_client.get(url))
        assert "Feedback" not in page and "Public page" not in page
    card = _links(alice_client.get(reverse("milestones:chart-activity")))
    assert "Only you see this calendar." in card and "Profile settings" not in card
