"""The review pages: an engineer and their current mentors read the engineer's work and discuss it.

The cast: alice is the engineer, bob her mentor, charlie a bystander, and dave a mentor whose
access alice revoked.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.mentoring.comments import (
    comment_on_milestone,
    comment_on_revision,
    comment_reply,
    thread_set_resolved,
)
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.models import Comment, Notification
from tests.factories import (
    CheckInFactory,
    GoalFactory,
    MilestoneFactory,
    UserFactory,
    create_project,
    save_revision,
)

pytestmark = pytest.mark.django_db

MODEL_TEXT = (
    "We chose gradient boosting over a linear baseline because the ticket features interact."
)


def _mentor(engineer, mentor):
    mentorship, token = mentorship_invite(engineer=engineer, email=mentor.email)
    mentorship_accept(token=token, mentor=mentor)
    return mentorship


@pytest.fixture
def mentor(alice, bob):
    """bob mentors alice."""
    _mentor(alice, bob)
    return bob


@pytest.fixture
def dave(alice):
    """A mentor of alice's until she revoked the mentorship."""
    dave = UserFactory(username="dave")
    mentorship_revoke(mentorship=_mentor(alice, dave), actor=alice)
    return dave


@pytest.fixture
def project(alice):
    return create_project(
        owner=alice,
        visibility="mentors",
        title="Ticket router",
        problem="Route support tickets to the right team.",
        model=MODEL_TEXT,
    )


@pytest.fixture
def shared_milestone(alice):
    goal = GoalFactory(owner=alice, title="Ship the ticket router", visibility="mentors")
    return MilestoneFactory(goal=goal, title="Label 2,000 tickets")


def _login(client, user):
    client.force_login(user)
    return client


def _person(alice) -> str:
    return reverse("mentoring:person", args=[alice.profile.slug])


def _project_url(project, number=None) -> str:
    slug = project.owner.profile.slug
    if number is None:
        return reverse("mentoring:project", args=[slug, project.slug])
    return reverse("mentoring:revision", args=[slug, project.slug, number])


def _comment_url(project, number=1) -> str:
    return reverse(
        "mentoring:revision-comment", args=[project.owner.profile.slug, project.slug, number]
    )


def _milestone_url(milestone) -> str:
    return reverse("mentoring:milestone", args=[milestone.goal.owner.profile.slug, milestone.pk])


def _section(html: str, key: str) -> str:
    """The HTML of one section of the review page, up to the next section."""
    start = html.index(f'id="section-{key}"')
    end = html.find('id="section-', start + 1)
    return html[start : end if end != -1 else len(html)]


def _outdated(html: str) -> str:
    if 'id="outdated"' not in html:
        return ""
    start = html.index('id="outdated"')
    return html[start : html.index('aria-labelledby="record-feedback-title"', start)]


# --- Who may read -------------------------------------------------------------------------------


def test_the_engineer_and_her_mentor_see_every_page(
    client, alice, mentor, project, shared_milestone
):
    urls = [
        _person(alice),
        _project_url(project),
        _project_url(project, 1),
        _milestone_url(shared_milestone),
    ]
    for user in (alice, mentor):
        _login(client, user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)


def test_it_answers_404_to_everyone_else(client, alice, charlie, dave, project, shared_milestone):
    urls = [
        _person(alice),
        _project_url(project),
        _project_url(project, 1),
        _milestone_url(shared_milestone),
    ]
    for user in (charlie, dave):
        _login(client, user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(_comment_url(project), {"body": "Hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_it_sends_the_signed_out_to_log_in(client, alice, mentor, project, shared_milestone):
    thread = comment_on_revision(author=mentor, revision=project.current_revision, body="Why?")
    gets = [
        _person(alice),
        _project_url(project),
        _project_url(project, 1),
        _milestone_url(shared_milestone),
    ]
    posts = [
        _comment_url(project),
        reverse("mentoring:milestone-comment", args=["alice", shared_milestone.pk]),
        reverse("mentoring:reply", args=[thread.pk]),
        reverse("mentoring:resolve", args=[thread.pk]),
        reverse("mentoring:reopen", args=[thread.pk]),
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    for url in posts:
        response = client.post(url, {"body": "Sneaky"})
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert Comment.objects.count() == 1


def test_a_mentor_does_not_see_private_work(client, alice, mentor, project):
    secret = create_project(owner=alice, visibility="private", title="Secret pricing model")
    public = create_project(owner=alice, visibility="public", title="Open benchmark")
    secret_goal = GoalFactory(owner=alice, title="Secret career goal", visibility="private")
    secret_milestone = MilestoneFactory(goal=secret_goal, title="Secret interview prep")
    public_goal = GoalFactory(owner=alice, title="Public reading list", visibility="public")
    public_milestone = MilestoneFactory(goal=public_goal, title="Read the scaling paper")
    _login(client, mentor)

    assert client.get(_project_url(secret)).status_code == 404
    assert client.get(_project_url(secret, 1)).status_code == 404
    assert client.get(_milestone_url(secret_milestone)).status_code == 404
    assert client.post(_comment_url(secret), {"body": "Let me in"}).status_code == 404
    assert client.get(_project_url(public)).status_code == 200
    assert client.get(_milestone_url(public_milestone)).status_code == 200

    page = client.get(_person(alice)).content.decode()
    assert "Ticket router" in page and "Open benchmark" in page
    assert "Public reading list" in page and "Read the scaling paper" in page
    for title in ("Secret pricing model", "Secret career goal", "Secret interview prep"):
        assert title not in page


def test_the_engineer_sees_her_private_work_on_her_own_page(alice_client, alice):
    secret = create_project(owner=alice, visibility="private", title="Secret pricing model")
    goal = GoalFactory(owner=alice, title="Secret career goal")
    milestone = MilestoneFactory(goal=goal)
    assert "Secret pricing model" in alice_client.get(_person(alice)).content.decode()
    assert alice_client.get(_project_url(secret)).status_code == 200
    assert alice_client.get(_milestone_url(milestone)).status_code == 200


def test_a_milestone_must_belong_to_the_person_in_the_address(client, alice, bob, mentor):
    # bob mentors alice; bob's own milestone under alice's address is not found.
    bobs = MilestoneFactory(goal=GoalFactory(owner=bob, visibility="public"))
    _login(client, bob)
    assert client.get(reverse("mentoring:milestone", args=["alice", bobs.pk])).status_code == 404


def test_the_person_page_lists_goals_by_quarter_and_projects_with_open_threads(
    client, alice, mentor, project, shared_milestone
):
    older = GoalFactory(owner=alice, year=2026, quarter=2, title="Learn SQL", visibility="mentors")
    MilestoneFactory(goal=older, title="Window functions")
    CheckInFactory(milestone=shared_milestone, progress=40)
    comment_on_revision(author=mentor, revision=project.current_revision, body="One")
    done = comment_on_revision(author=mentor, revision=project.current_revision, body="Two")
    comment_on_revision(author=mentor, revision=project.current_revision, body="Three")
    done.resolved_at = done.created_at
    done.save()

    page = _login(client, mentor).get(_person(alice)).content.decode()
    assert page.index("Q4 2026") < page.index("Ship the ticket router") < page.index("Q2 2026")
    assert page.index("Q2 2026") < page.index("Window functions")
    assert "40%" in page
    assert "2 open threads" in page
    assert _project_url(project) in page
    assert _milestone_url(shared_milestone) in page


def test_the_person_page_costs_a_fixed_number_of_queries(
    client, alice, mentor, django_assert_max_num_queries
):
    for n in range(6):
        goal = GoalFactory(owner=alice, quarter=1 + n % 4, visibility="mentors")
        for _ in range(4):
            CheckInFactory(milestone=MilestoneFactory(goal=goal))
        p = create_project(owner=alice, visibility="mentors", title=f"Project {n}")
        comment_on_revision(author=mentor, revision=p.current_revision, body="Looks good")
    _login(client, mentor)
    # 8 for the page, 1 for the background-work banner (portfolio/context_processors.py).
    with django_assert_max_num_queries(10):  # +1: whether the user mentors (the navigation's order)
        response = client.get(_person(alice))
    assert response.content.decode().count('data-testid="project"') == 6


# --- Comments on a revision ---------------------------------------------------------------------


def test_a_comment_on_a_section_appears_under_that_section(client, alice, mentor, project):
    response = _login(client, mentor).post(
        _comment_url(project),
        {"body": "Which baseline exactly?", "section": "model", "quote": "linear baseline"},
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response.url.endswith(f"#comment-{comment.pk}")
    assert (comment.section, comment.quote, comment.author) == ("model", "linear baseline", mentor)

    page = client.get(_project_url(project)).content.decode()
    model = _section(page, "model")
    assert f'id="comment-{comment.pk}"' in model
    assert "Which baseline exactly?" in model and "linear baseline" in model
    assert "Which baseline exactly?" not in _section(page, "problem")


def test_a_comment_on_the_whole_record_is_at_the_top(client, alice, mentor, project):
    _login(client, mentor).post(_comment_url(project), {"body": "Great write-up overall."})
    page = client.get(_project_url(project)).content.decode()
    assert page.index("Great write-up overall.") < page.index('id="section-problem"')


def test_a_thread_on_a_changed_section_is_listed_as_outdated(client, alice, mentor, project):
    on_model = comment_on_revision(
        author=mentor, revision=project.current_revision, body="Why boosting?", section="model"
    )
    on_problem = comment_on_revision(
        author=mentor, revision=project.current_revision, body="Which teams?", section="problem"
    )
    save_revision(project, model="We chose a small transformer.", change_note="New model")
    _login(client, mentor)

    page = client.get(_project_url(project)).content.decode()
    outdated = _outdated(page)
    assert f'id="comment-{on_model.pk}"' in outdated
    assert (
        "written on" in outdated
        and f'href="{_project_url(project, 1)}#comment-{on_model.pk}"' in outdated
    )
    assert "Why boosting?" not in _section(page, "model")
    # The problem section did not change: its thread stays with it.
    assert f'id="comment-{on_problem.pk}"' in _section(page, "problem")
    assert f'id="comment-{on_problem.pk}"' not in outdated
    assert "revision 2" in page and "New model" in page

    # On the revision it was written on, the thread is under its section.
    old = client.get(_project_url(project, 1)).content.decode()
    assert f'id="comment-{on_model.pk}"' in _section(old, "model")
    assert _outdated(old) == ""


def test_the_page_lists_every_revision(client, alice, mentor, project):
    save_revision(project, summary="Better summary")
    page = _login(client, mentor).get(_project_url(project, 1)).content.decode()
    assert (
        f'href="{_project_url(project, 1)}"' in page
        and f'href="{_project_url(project, 2)}"' in page
    )
    assert "not the current one" in page


def test_an_unknown_revision_is_404(client, alice, mentor, project):
    assert _login(client, mentor).get(_project_url(project, 9)).status_code == 404


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"body": "   ", "section": "model"}, "Write something first."),
        ({"body": "x" * 5001, "section": "model"}, "Keep it under 5,000 characters"),
        (
            {"body": "Where is this?", "section": "model", "quote": "a passage never written"},
            "That passage is not in this section of this revision.",
        ),
    ],
)
def test_an_invalid_comment_comes_back_with_the_typed_text(client, mentor, project, data, error):
    response = _login(client, mentor).post(_comment_url(project), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert error in page
    assert "<html" in page
    model = _section(page, "model")
    assert error in model
    if data["body"].strip():
        assert data["body"] in model
    if data.get("quote"):
        assert f'value="{data["quote"]}"' in model
    assert not Comment.objects.exists()


def test_with_htmx_an_invalid_comment_returns_its_form_only(client, mentor, project, htmx_headers):
    response = _login(client, mentor).post(
        _comment_url(project),
        {"body": "", "section": "model", "quote": "linear baseline"},
        headers=htmx_headers,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<div class="discussion" id="threads-model"')
    assert "Write something first." in page and 'value="linear baseline"' in page


def test_with_htmx_a_comment_returns_the_section_discussion(client, mentor, project, htmx_headers):
    response = _login(client, mentor).post(
        _comment_url(project), {"body": "Nice split.", "section": "model"}, headers=htmx_headers
    )
    comment = Comment.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="threads-model"' in page and f'id="comment-{comment.pk}"' in page
    assert "Nice split." in page
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_comment_from_a_mentor_notifies_the_engineer(client, alice, mentor, project):
    _login(client, mentor).post(_comment_url(project), {"body": "Nice", "section": "problem"})
    note = Notification.objects.get(recipient=alice, kind="comment")
    assert (note.kind, note.actor, note.comment.body) == ("comment", mentor, "Nice")
    assert not Notification.objects.filter(recipient=mentor, kind="comment").exists()


# --- Replies, resolving -------------------------------------------------------------------------


@pytest.fixture
def thread(mentor, project):
    return comment_on_revision(
        author=mentor, revision=project.current_revision, body="Why boosting?", section="model"
    )


def test_the_engineer_replies_and_the_mentor_hears_of_it(client, alice, mentor, project, thread):
    response = _login(client, alice).post(
        reverse("mentoring:reply", args=[thread.pk]),
        {"body": "Interactions between features.", "next": _project_url(project)},
    )
    assert response.status_code == 302
    assert response.url == f"{_project_url(project)}#comment-{thread.pk}"
    reply = Comment.objects.get(parent=thread)
    assert reply.author == alice
    assert Notification.objects.filter(recipient=mentor, kind="reply", comment=reply).exists()
    page = client.get(_project_url(project)).content.decode()
    assert "Interactions between features." in _section(page, "model")


def test_an_empty_reply_comes_back_with_an_error(client, alice, project, thread, htmx_headers):
    _login(client, alice)
    url = reverse("mentoring:reply", args=[thread.pk])
    response = client.post(url, {"body": "  "}, headers=htmx_headers)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment and f'id="comment-{thread.pk}"' in fragment
    assert "Write something first." in fragment

    long = "y" * 5001
    response = client.post(url, {"body": long, "next": _project_url(project)})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert "Keep it under 5,000 characters" in page and long in page
    assert not Comment.objects.filter(parent=thread).exists()


def test_the_engineer_resolves_and_reopens_a_thread(client, alice, project, thread):
    _login(client, alice)
    response = client.post(reverse("mentoring:resolve", args=[thread.pk]))
    assert response.status_code == 302
    assert response.url == f"{_project_url(project, 1)}#comment-{thread.pk}"
    thread.refresh_from_db()
    assert thread.resolved_by == alice and thread.resolved_at is not None

    page = client.get(_project_url(project)).content.decode()
    model = _section(page, "model")
    assert 'class="resolved-box"' in model and "Resolved" in model and "by Alice" in model
    assert reverse("mentoring:reopen", args=[thread.pk]) in model

    client.post(reverse("mentoring:reopen", args=[thread.pk]))
    thread.refresh_from_db()
    assert thread.resolved_at is None and thread.resolved_by is None


def test_with_htmx_resolving_returns_the_thread(client, alice, project, thread, htmx_headers):
    response = _login(client, alice).post(
        reverse("mentoring:resolve", args=[thread.pk]), {"on": "1"}, headers=htmx_headers
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith(
        f'<article class="thread is-resolved" id="comment-{thread.pk}"'
    )
    assert "<html" not in fragment


def test_a_mentor_cannot_resolve(client, mentor, project, thread):
    _login(client, mentor)
    assert client.post(reverse("mentoring:resolve", args=[thread.pk])).status_code == 404
    thread.refresh_from_db()
    assert thread.resolved_at is None
    page = client.get(_project_url(project)).content.decode()
    assert reverse("mentoring:resolve", args=[thread.pk]) not in page
    assert reverse("mentoring:reply", args=[thread.pk]) in page


def test_nobody_else_replies_or_resolves(client, charlie, dave, thread):
    for user in (charlie, dave):
        _login(client, user)
        assert (
            client.post(reverse("mentoring:reply", args=[thread.pk]), {"body": "Hi"}).status_code
            == 404
        )
        assert client.post(reverse("mentoring:resolve", args=[thread.pk])).status_code == 404
    assert not Comment.objects.filter(parent=thread).exists()


def test_a_thread_on_a_private_project_is_gone_for_the_mentor(
    client, alice, mentor, project, thread
):
    project.visibility = "private"
    project.save()
    _login(client, mentor)
    assert (
        client.post(reverse("mentoring:reply", args=[thread.pk]), {"body": "Hi"}).status_code == 404
    )


# --- Milestones and check-ins -------------------------------------------------------------------


def test_a_comment_on_a_check_in_sits_under_it(client, alice, mentor, shared_milestone):
    older = CheckInFactory(milestone=shared_milestone, progress=20, note="Started labelling")
    newer = CheckInFactory(milestone=shared_milestone, progress=60, note="Halfway there")
    older.created_at = newer.created_at.replace(year=2025)
    older.save()
    url = reverse("mentoring:milestone-comment", args=["alice", shared_milestone.pk])
    _login(client, mentor)
    response = client.post(url, {"body": "Which tool do you label with?", "checkin": older.pk})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"#comment-{comment.pk}")
    assert comment.checkin == older

    client.post(url, {"body": "Nice milestone."})
    page = client.get(_milestone_url(shared_milestone)).content.decode()
    assert page.index(f'id="checkin-{newer.pk}"') < page.index(f'id="checkin-{older.pk}"')
    assert page.index(f'id="checkin-{older.pk}"') < page.index("Which tool do you label with?")
    assert page.index("Nice milestone.") < page.index(f'id="checkin-{newer.pk}"')
    assert Notification.objects.filter(recipient=alice, kind="comment").count() == 2


def test_a_check_in_of_another_milestone_is_404(client, alice, mentor, shared_milestone):
    other = CheckInFactory(milestone=MilestoneFactory(goal=shared_milestone.goal))
    url = reverse("mentoring:milestone-comment", args=["alice", shared_milestone.pk])
    response = _login(client, mentor).post(url, {"body": "Hm", "checkin": other.pk})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_an_empty_milestone_comment_is_shown_again(client, mentor, shared_milestone, htmx_headers):
    checkin = CheckInFactory(milestone=shared_milestone)
    url = reverse("mentoring:milestone-comment", args=["alice", shared_milestone.pk])
    _login(client, mentor)
    response = client.post(url, {"body": "", "checkin": checkin.pk}, headers=htmx_headers)
    assert response.status_code == 200
    assert (
        response.content.decode()
        .lstrip()
        .startswith(f'<div class="discussion" id="threads-checkin-{checkin.pk}"')
    )
    assert "Write something first." in response.content.decode()
    response = client.post(url, {"body": "z" * 5001})
    assert response.status_code == 200 and "z" * 5001 in response.content.decode()


def test_milestone_threads_reply_and_resolve(client, alice, mentor, shared_milestone, htmx_headers):
    thread = comment_on_milestone(author=mentor, milestone=shared_milestone, body="Due date?")
    _login(client, alice)
    response = client.post(
        reverse("mentoring:reply", args=[thread.pk]), {"body": "Friday."}, headers=htmx_headers
    )
    assert "Friday." in response.content.decode()
    response = client.post(reverse("mentoring:resolve", args=[thread.pk]))
    assert response.url == f"{_milestone_url(shared_milestone)}#comment-{thread.pk}"
    page = client.get(_milestone_url(shared_milestone)).content.decode()
    assert 'class="resolved-box"' in page and "Friday." in page


# --- Links from the engineer's own pages --------------------------------------------------------


def test_the_owners_pages_link_to_their_feedback(alice_client, alice, project, shared_milestone):
    page = alice_client.get(project.get_absolute_url()).content.decode()
    assert f'href="{_project_url(project)}"' in page
    page = alice_client.get(shared_milestone.get_absolute_url()).content.decode()
    assert f'href="{_milestone_url(shared_milestone)}"' in page


def test_the_review_page_costs_a_fixed_number_of_queries(
    client, alice, mentor, project, django_assert_max_num_queries
):
    first = project.current_revision
    for key in ("problem", "model", "results", ""):
        for n in range(3):
            thread = comment_on_revision(author=mentor, revision=first, body=f"{n}", section=key)
            comment_reply(author=alice, thread=thread, body="Thanks")
            thread_set_resolved(thread=thread, user=alice, resolved=n == 0)
    save_revision(project, model="Something else entirely.")
    _login(client, mentor)
    # 11 for the page (one asks whether it has results to link to), 1 for the background-work
    # banner (portfolio/context_processors.py).
    with django_assert_max_num_queries(13):  # +1: whether the user mentors (the navigation's order)
        response = client.get(_project_url(project))
    page = response.content.decode()
    assert page.count('data-testid="thread"') == 12
    assert page.count("written on <a") == 12
