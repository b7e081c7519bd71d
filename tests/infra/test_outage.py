"""Redis down: pages render, writes succeed, and nothing is lost.

A Redis server of the test's own (tests/redis_server.py) is the cache and the Celery broker; the
test stops it, uses the site as a visitor and as an engineer, then starts it again with a real
worker process, which sends what waited in the outbox: the password-reset email arrives.
"""

from __future__ import annotations

import email
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from milestones.models import CheckIn
from outbox.models import OutboxTask
from portfolio.celery import app
from portfolio.context_processors import REMEMBER, forget_background_work
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite
from portfolio.models import NotifyChoice
from tests.factories import GoalFactory, MilestoneFactory, create_project
from tests.redis_server import redis_server  # noqa: F401 - a fixture
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BANNER = "Background work is delayed; it will go on by itself."
LINK = re.compile(r"https?://[^/\s\"]+/mentoring/accept/[A-Za-z0-9_-]+/")


@pytest.fixture(autouse=True)
def _fresh_banner():
    forget_background_work()
    yield
    forget_background_work()


@pytest.fixture
def own_redis(redis_server, settings):  # noqa: F811
    """The test process's cache and broker on the test's own Redis, tasks sent for real."""
    # Read before any setting changes: Celery reads Django's settings once, lazily.
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = {}
    app.conf.task_always_eager = False
    try:
        yield redis_server
    finally:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved


@pytest.fixture
def engineer(alice, bob):
    """alice: a public profile and project, a goal shared with her mentor bob, who wants
    emails at once."""
    alice.profile.is_public = True
    alice.profile.display_name = "Alice Liddell"
    alice.profile.save()
    bob.profile.email_notifications = NotifyChoice.IMMEDIATE
    bob.profile.save()
    _, token = mentorship_invite(engineer=alice)
    mentorship_accept(token=token, mentor=bob)
    return alice


def _edit(client: Client, project, **changes):
    revision = project.current_revision
    data = {
        **{key: value for key, value in revision.content().items() if value is not None},
        "visibility": project.visibility,
        "base_revision": revision.number,
        "change_note": "",
        **changes,
    }
    return client.post(reverse("projects:edit", args=[project.slug]), data)


def _mails(folder: Path) -> list[email.message.Message]:
    """Every message the file backend wrote. One file may hold several: the backend names its
    file by the second and the backend object's id, which a later send can reuse."""
    separator = "\n" + "-" * 79 + "\n"
    texts = [t for p in sorted(folder.glob("*.log")) for t in p.read_text().split(separator)]
    return [email.message_from_string(t) for t in texts if t.strip()]


def test_with_redis_down_pages_render_writes_succeed_and_the_mail_arrives_once_it_is_back(
    own_redis, engineer, bob, clock, tmp_path
):
    alice = engineer
    project = create_project(owner=alice, title="Launch forecaster", visibility="public")
    goal = GoalFactory(owner=alice, year=2026, quarter=4, visibility="mentors")
    milestone = MilestoneFactory(goal=goal, title="Label 2,000 tickets")
    profile_url = reverse("public:profile", args=[alice.profile.slug])
    project_url = reverse("public:project", args=[alice.profile.slug, project.slug])
    visitor, owner = Client(), Client()
    owner.force_login(alice)
    assert visitor.get(project_url).status_code == 200  # cached while Redis is up

    own_redis.stop()

    profile = visitor.get(profile_url)
    assert profile.status_code == 200 and "Launch forecaster" in profile.text
    page = visitor.get(project_url)
    assert page.status_code == 200 and "Launch forecaster" in page.text
    reset = visitor.post(reverse("password_reset"), {"email": alice.email})
    assert reset.status_code == 302
    assert owner.get(reverse("milestones:plan"), follow=True).status_code == 200

    invitation = owner.post(
        reverse("mentoring:mentors"), {"email": "mentor@example.com", "note": ""}, follow=True
    )
    assert invitation.status_code == 200
    assert LINK.search(invitation.text), "the invitation link is shown"

    checkin = owner.post(
        reverse("milestones:checkin-create", args=[milestone.pk]),
        {"progress": 40, "confidence": 4, "note": "Half labelled"},
    )
    assert checkin.status_code == 302
    assert CheckIn.objects.get(milestone=milestone).note == "Half labelled"

    edit = _edit(owner, project, summary="Forecasts launches a week ahead.")
    assert edit.status_code == 302
    project.refresh_from_db()
    assert project.current_revision.number == 2
    assert project.current_revision.content()["summary"] == "Forecasts launches a week ahead."

    preview = visitor.get(reverse("public:preview", args=[alice.profile.slug]))
    assert preview.status_code == 302  # the generic image, while the render waits

    waiting = list(OutboxTask.objects.order_by("id").values_list("task", flat=True))
    assert waiting == [
        "portfolio.tasks.send_email",  # the password reset
        "portfolio.tasks.send_email",  # the invitation
        "portfolio.tasks.send_notification_emails",  # bob: the check-in
        "portfolio.tasks.send_notification_emails",  # bob: the new revision
    ]  # no preview render: with the cache down none is queued (portfolio/limits.first_in)
    assert BANNER not in owner.get(reverse("milestones:plan"), follow=True).text  # not a minute yet
    clock.shift(timedelta(minutes=2))
    assert BANNER in owner.get(reverse("milestones:plan"), follow=True).text
    assert BANNER in owner.get(reverse("projects:list")).text

    own_redis.start()
    mail_dir = tmp_path / "mail"
    env = {
        "REDIS_URL": own_redis.url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with celery_worker(env=env, queue="celery"):
        # The worker drains the outbox when it starts; each email arrives.
        wait_for(lambda: len(_mails(mail_dir)) >= 4, timeout=90)
        assert not OutboxTask.objects.exists()
    clock.shift(REMEMBER)  # pages may show the banner that long after the outbox emptied

    by_subject = {m["Subject"]: m for m in _mails(mail_dir)}
    reset_mail = by_subject["Reset your Cairn password"]
    assert reset_mail["To"] == alice.email
    assert "/accounts/reset/" in reset_mail.get_payload(decode=True).decode()
    invite = by_subject["Alice Liddell invites you to mentor them on Cairn"]
    assert invite["To"] == "mentor@example.com"
    assert sorted(m["To"] for m in _mails(mail_dir)).count(bob.email) == 2
    assert BANNER not in owner.get(reverse("milestones:plan"), follow=True).text
