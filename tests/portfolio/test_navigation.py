"""The main navigation and where sign-in lands: a mentor's work leads with Mentoring."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from tests.factories import PASSWORD, GoalFactory, create_project

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r"<a [^>]*>([^<]+)</a>")
MENTORS_SOMEONE = 'SELECT 1 AS "a" FROM "portfolio_mentorship"'


def _nav(client, url: str = "/settings/profile/") -> list[str]:
    html = client.get(url).content.decode()
    return LINK.findall(NAV.search(html).group(1))


def _mentor(engineer, mentor):
    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


def _log_in(client, username: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD, **extra})


def test_an_engineers_navigation_starts_with_the_plan(alice_client):
    assert _nav(alice_client) == ["Plan", "Projects", "Mentoring", "Profile"]


def test_a_mentors_navigation_leads_with_mentoring(client, alice, bob):
    _mentor(alice, bob)
    client.force_login(bob)

    assert _nav(client) == ["Mentoring", "Plan", "Projects", "Profile"]
    # The engineer they mentor keeps the plan first.
    client.force_login(alice)
    assert _nav(client) == ["Plan", "Projects", "Mentoring", "Profile"]


def test_a_revoked_mentorship_puts_the_plan_first_again(client, alice, bob):
    mentorship = _mentor(alice, bob)
    mentorship_revoke(mentorship=mentorship, actor=alice)
    client.force_login(bob)

    assert _nav(client) == ["Plan", "Projects", "Mentoring", "Profile"]


def test_the_current_page_stays_marked_with_mentoring_first(client, alice, bob):
    _mentor(alice, bob)
    client.force_login(bob)
    html = client.get(reverse("mentoring:dashboard")).content.decode()

    assert re.search(r'<a href="/mentoring/" aria-current="page">Mentoring</a>', html)


def test_the_navigation_asks_once_whether_the_user_mentors(client, alice, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _mentor(alice, bob)
    client.force_login(bob)
    with CaptureQueriesContext(connection) as page:
        client.get("/settings/profile/")
    with CaptureQueriesContext(connection) as fragment:
        client.get(reverse("mentoring:notifications-count"), HTTP_HX_REQUEST="true")

    def asked(queries) -> list[str]:
        return [q["sql"] for q in queries if q["sql"].startswith(MENTORS_SOMEONE)]

    assert len(asked(page.captured_queries)) == 1
    # A fragment without the navigation does not ask at all.
    assert asked(fragment.captured_queries) == []


def test_someone_who_only_mentors_lands_on_mentoring_after_sign_in(client, alice, bob):
    _mentor(alice, bob)

    response = _log_in(client, "bob")

    assert response.status_code == 302
    assert response["Location"] == reverse("mentoring:dashboard")
    assert client.get(reverse("home"))["Location"] == reverse("mentoring:dashboard")


def test_a_mentor_with_goals_of_their_own_lands_on_the_plan(client, alice, bob):
    _mentor(alice, bob)
    GoalFactory(owner=bob)

    assert _log_in(client, "bob")["Location"] == reverse("milestones:plan")


def test_a_mentor_with_projects_of_their_own_lands_on_the_plan(client, alice, bob):
    _mentor(alice, bob)
    create_project(owner=bob, title="My own model")

    assert _log_in(client, "bob")["Location"] == reverse("milestones:plan")


def test_a_mentor_follows_next_after_sign_in(client, alice, bob):
    _mentor(alice, bob)

    response = _log_in(client, "bob", next=reverse("profile"))

    assert response["Location"] == reverse("profile")


def test_an_engineer_without_mentees_lands_on_the_plan(client, alice):
    assert _log_in(client, "alice")["Location"] == reverse("milestones:plan")


CURRENT = re.compile(r'<a href="[^"]*" aria-current="page">([^<]+)</a>')


def _current(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return CURRENT.findall(NAV.search(response.content.decode()).group(1))


def test_a_mentor_reading_a_mentees_project_is_in_mentoring_not_in_their_own_projects(
    client, alice, bob
):
    from projects.selectors import reader_key

    _mentor(alice, bob)
    project = create_project(owner=alice, title="Shared sweep", visibility="mentors")
    client.force_login(bob)

    for name in ("projects:runs", "projects:results", "projects:compare", "projects:stats"):
        assert _current(client, reverse(name, args=[reader_key(project)])) == ["Mentoring"]
    assert _current(client, reverse("mentoring:person", args=[alice.username])) == ["Mentoring"]
    # Their own projects are still Projects, and the plan is the Plan.
    assert _current(client, reverse("projects:list")) == ["Projects"]
    assert _current(client, reverse("milestones:quarter", args=[2026, 1])) == ["Plan"]


def test_the_owner_on_their_own_project_is_in_projects(alice_client, alice):
    project = create_project(owner=alice, title="Own sweep")

    assert _current(alice_client, reverse("projects:runs", args=[project.slug])) == ["Projects"]
    assert _current(alice_client, reverse("projects:detail", args=[project.slug])) == ["Projects"]
