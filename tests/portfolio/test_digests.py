"""Notification emails: right away (a task after commit, each row at most once), one daily digest
through Celery beat, or none; only about what the recipient may still see."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from milestones.services import checkin_create
from portfolio.mentoring.comments import comment_on_revision
from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite, mentorship_revoke
from portfolio.mentoring.notifications import digest_send
from portfolio.models import Mentorship, Notification, NotifyChoice
from portfolio.tasks import send_daily_digests, send_notification_emails
from tests.factories import GoalFactory, MilestoneFactory, create_project, save_revision

pytestmark = pytest.mark.django_db

SITE = settings.CAIRN_SITE_URL


def _mentor(engineer, mentor) -> Mentorship:
    _, token = mentorship_invite(engineer=engineer)
    return mentorship_accept(token=token, mentor=mentor)


def _choose(user, choice: str) -> None:
    user.profile.email_notifications = choice
    user.profile.save()


@pytest.fixture
def project(alice):
    return create_project(owner=alice, visibility="mentors", title="Ticket router")


@pytest.fixture
def mentorship(alice, bob) -> Mentorship:
    # bob hears of alice's new revisions too; he wants no email, so that the outbox is alice's.
    _choose(bob, NotifyChoice.NONE)
    return _mentor(alice, bob)


def _comment(bob, project, body="Which split did you evaluate on?"):
    return comment_on_revision(author=bob, revision=project.current_revision, body=body)


def _links(body: str) -> list[str]:
    return re.findall(r"^\s+(http\S+)$", body, re.M)


# --- Right away -------------------------------------------------------------------------------


def test_immediate_sends_one_email_after_commit_with_the_text_and_a_link(
    alice, bob, mentorship, project, django_capture_on_commit_callbacks, mailoutbox
):
    _choose(alice, NotifyChoice.IMMEDIATE)

    with django_capture_on_commit_callbacks(execute=True):
        comment = _comment(bob, project)
        assert mailoutbox == []  # nothing before the commit

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@example.com"]
    assert email.subject == "Cairn: Bob commented on revision 1 of “Ticket router”"
    assert "Bob commented on revision 1 of “Ticket router”." in email.body
    assert "“Which split did you evaluate on?”" in email.body
    link = f"{SITE}/people/alice/projects/{project.slug}/r1/#comment-{comment.pk}"
    assert f"Open it: {link}" in email.body
    assert f"{SITE}/notifications/settings/" in email.body
    notification = Notification.objects.get(recipient=alice, kind="comment")
    assert notification.emailed_at is not None


def test_a_second_delivery_of_the_task_sends_nothing(
    alice, bob, mentorship, project, django_capture_on_commit_callbacks, mailoutbox
):
    _choose(alice, NotifyChoice.IMMEDIATE)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(bob, project)
    notification = Notification.objects.get(recipient=alice, kind="comment")

    result = send_notification_emails.apply(kwargs={"notification_ids": [notification.pk]})

    assert result.get() == 0
    assert len(mailoutbox) == 1


def test_immediate_emails_are_not_sent_again_in_a_digest(
    alice, bob, mentorship, project, django_capture_on_commit_callbacks, mailoutbox
):
    _choose(alice, NotifyChoice.IMMEDIATE)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(bob, project)
    _choose(alice, NotifyChoice.DAILY)

    send_daily_digests.apply()

    # Only the acceptance, which came while alice was on digests and was never emailed.
    assert len(mailoutbox) == 2
    assert "Bob commented" not in mailoutbox[1].body
    assert "Bob accepted your invitation" in mailoutbox[1].body


def test_immediate_skips_a_subject_that_turned_private_before_the_task_ran(
    alice, bob, charlie, project, django_capture_on_commit_callbacks, mailoutbox
):
    # charlie mentors alice; alice saves a revision, then makes the project private.
    _mentor(alice, charlie)
    _choose(charlie, NotifyChoice.IMMEDIATE)
    save_revision(project, summary="A better summary.")
    item = Notification.objects.get(recipient=charlie, kind="revision")
    project.visibility = "private"
    project.save()

    send_notification_emails.apply(kwargs={"notification_ids": [item.pk]})

    assert mailoutbox == []
    item.refresh_from_db()
    assert item.emailed_at is None


# --- The daily digest -------------------------------------------------------------------------


def test_daily_sends_nothing_at_once_then_one_digest_listing_everything_unread(
    alice, bob, mentorship, project, django_capture_on_commit_callbacks, mailoutbox
):
    _choose(alice, NotifyChoice.DAILY)
    with django_capture_on_commit_callbacks(execute=True):
        first = _comment(bob, project, "Which split did you evaluate on?")
        second = _comment(bob, project, "And what is the baseline?")
    assert mailoutbox == []

    result = send_daily_digests.apply()

    assert result.get() == 1
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@example.com"]
    assert email.subject == "Cairn: your daily digest (3 new)"
    body = email.body
    assert "3 notifications on Cairn since your last digest" in body
    assert body.count("- Bob commented on revision 1 of “Ticket router”") == 2
    assert "- Bob accepted your invitation to mentor you" in body
    assert "“Which split did you evaluate on?”" in body and "“And what is the baseline?”" in body
    revision_url = f"{SITE}/people/alice/projects/{project.slug}/r1/"
    assert _links(body) == [
        f"{revision_url}#comment-{second.pk}",
        f"{revision_url}#comment-{first.pk}",
        f"{SITE}/settings/mentors/",
    ]
    assert not Notification.objects.filter(recipient=alice, emailed_at__isnull=True).exists()

    send_daily_digests.apply()
    assert len(mailoutbox) == 1


def test_the_next_digest_lists_only_what_came_since(alice, bob, mentorship, project, mailoutbox):
    send_daily_digests.apply()
    _comment(bob, project, "One more thing")

    send_daily_digests.apply()

    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "Cairn: your daily digest (1 new)"
    assert "1 notification on Cairn since your last digest" in mailoutbox[1].body
    assert "accepted your invitation" not in mailoutbox[1].body


def test_read_notifications_stay_out_of_the_digest(alice, bob, mentorship, project, mailoutbox):
    _comment(bob, project)
    Notification.objects.filter(recipient=alice, kind="accepted").update(
        read_at="2026-11-28T10:00Z"
    )

    send_daily_digests.apply()

    assert len(mailoutbox) == 1
    assert "accepted your invitation" not in mailoutbox[0].body
    assert "Bob commented" in mailoutbox[0].body


def test_none_means_no_email_ever(
    alice, bob, mentorship, project, django_capture_on_commit_callbacks, mailoutbox
):
    _choose(alice, NotifyChoice.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(bob, project)

    send_daily_digests.apply()

    assert mailoutbox == []
    assert Notification.objects.filter(recipient=alice, emailed_at__isnull=True).count() == 2


def test_a_subject_made_private_is_left_out_of_the_mentors_digest(
    alice, bob, mentorship, mailoutbox
):
    _choose(bob, NotifyChoice.DAILY)
    goal = GoalFactory(owner=alice, visibility="mentors", title="Shared goal")
    secret = GoalFactory(owner=alice, visibility="mentors", title="Soon private")
    shared = MilestoneFactory(goal=goal, title="Label tickets")
    hidden = MilestoneFactory(goal=secret, title="Negotiate the offer")
    checkin_create(milestone=shared, author=alice, progress=30, note="Labelled 600")
    checkin_create(milestone=hidden, author=alice, progress=50, note="Second round")
    secret.visibility = "private"
    secret.save()

    send_daily_digests.apply()

    mine = [m for m in mailoutbox if m.to == ["bob@example.com"]]
    assert len(mine) == 1
    assert "Label tickets" in mine[0].body
    assert "Negotiate the offer" not in mine[0].body
    # Left out, not spent: were it shared again, the next digest would carry it.
    assert Notification.objects.get(checkin__milestone=hidden).emailed_at is None


def test_a_revoked_mentor_gets_no_digest_about_the_engineer(alice, charlie, project, mailoutbox):
    mentorship = _mentor(alice, charlie)
    save_revision(project, summary="A better summary.")
    assert Notification.objects.filter(recipient=charlie, kind="revision").exists()
    mentorship_revoke(mentorship=mentorship, actor=alice)

    send_daily_digests.apply()

    assert [m for m in mailoutbox if m.to == ["charlie@example.com"]] == []


def test_users_without_an_email_address_are_skipped(alice, bob, mentorship, project, mailoutbox):
    _comment(bob, project)
    alice.email = ""
    alice.save()

    assert send_daily_digests.apply().get() == 0
    assert digest_send(user=alice) == 0
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=alice, emailed_at__isnull=True).count() == 2


def test_one_failing_digest_does_not_stop_the_others(
    alice, bob, charlie, mentorship, project, mailoutbox, monkeypatch
):
    _choose(bob, NotifyChoice.DAILY)
    _choose(charlie, NotifyChoice.NONE)
    _mentor(charlie, bob)
    save_revision(create_project(owner=charlie, visibility="mentors"), summary="New")
    _comment(bob, project)
    real_send = mail.send_mail

    def send_mail(subject, body, from_email, to, **kwargs):
        if to == ["alice@example.com"]:
            raise OSError("SMTP is down")
        return real_send(subject, body, from_email, to, **kwargs)

    monkeypatch.setattr(mail, "send_mail", send_mail)

    assert send_daily_digests.apply().get() == 1

    assert [m.to for m in mailoutbox] == [["bob@example.com"]]
    # alice's rows were not marked: tomorrow's digest still carries them.
    assert Notification.objects.filter(recipient=alice, emailed_at__isnull=True).count() == 2


# --- Scheduling -------------------------------------------------------------------------------


def test_celery_beat_runs_the_daily_digests():
    from portfolio.celery import app

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert any(e["task"] == "portfolio.tasks.send_daily_digests" for e in entries)
    assert "portfolio.tasks.send_daily_digests" in app.tasks
    entry = next(e for e in entries if e["task"] == "portfolio.tasks.send_daily_digests")
    assert entry["schedule"].hour == {settings.CAIRN_DIGEST_HOUR}
    assert entry["schedule"].minute == {0}


def test_make_run_embeds_beat_in_its_worker(monkeypatch, tmp_path, settings):
    started: list[list[str]] = []

    class Child:
        returncode = 0

        def __init__(self, argv, **kwargs):
            started.append(argv)

        def poll(self):
            return 0

        def send_signal(self, sig): ...

        def wait(self, timeout=None):
            return 0

        def kill(self): ...

    schedule = tmp_path / "beat" / "celerybeat-schedule"
    settings.CELERY_BEAT_SCHEDULE_FILENAME = str(schedule)
    monkeypatch.setattr(subprocess, "Popen", Child)
    monkeypatch.setattr("portfolio.management.commands.serve.signal.signal", lambda *a: None)

    call_command("serve", stdout=io.StringIO(), stderr=io.StringIO())

    worker = next(argv for argv in started if "worker" in argv)
    assert "--beat" in worker
    assert worker[worker.index("--schedule-filename") + 1] == str(schedule)
    assert schedule.parent.is_dir()
