"""Demo data: an engineer whose year of planning shows every feature of Cairn.

Everything goes through the services and receivers users trigger (goals, milestones, check-ins,
completions, projects, imports, the mentor's invitation and feedback); only timestamps are set
back afterwards, to when each thing happened in the demo's story. Idempotent: each goal,
milestone and project is looked up by its natural key first, and only new milestones get a
history.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from milestones.models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal
from milestones.quarters import Quarter
from milestones.services import checkin_create, goal_create, milestone_create, milestone_set_status
from projects.models import Project, ProjectRevision
from projects.services import project_create, project_save

from ..models import Notification, Profile
from .mentor import (
    MENTOR_PASSWORD,
    MENTOR_USERNAME,
    demo_mentor,
    mentor_accepts,
    mentor_feedback,
)
from .plan import CHECKIN_NOTES, PLAN
from .projects import PROJECTS
from .results import seed_results

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "MENTOR_PASSWORD",
    "MENTOR_USERNAME",
    "demo_logins",
    "seed_demo",
]

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - a documented demo login, refused in production
MENTOR_SINCE_DAYS = 45
DEMO_PROFILE = {
    "slug": "demo",
    "display_name": "Dana Demo",
    "headline": "ML engineer · NLP and production ML",
    "bio": (
        "I build and ship ML systems: **fraud detection** in production, a reproduction of an "
        "augmentation paper, and now a ticket router built on a fine-tuned small language "
        "model.\n\n"
        "- 4 years in data science, 2 in ML engineering\n"
        "- PyTorch, MLflow, FastAPI, Postgres"
    ),
    "links": ["https://github.com/demo", "https://demo.example.com/blog"],
    "open_to_work": True,
    "is_public": True,
}


def demo_logins() -> str:
    """The demo's two logins, as `make run` and `seed_demo` print them."""
    return (
        f"Log in as the engineer {DEMO_USERNAME} / {DEMO_PASSWORD}, "
        f"or as their mentor {MENTOR_USERNAME} / {MENTOR_PASSWORD}."
    )


@dataclass
class SeedReport:
    created_user: bool
    goals: int
    milestones: int
    checkins: int
    projects: int = 0
    imports: int = 0


def _at(day: datetime.date, hour: int = 17) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@transaction.atomic
def seed_demo(*, today: datetime.date | None = None) -> SeedReport:
    """Create (or complete) the demo engineer, their public profile, a year of plan, projects
    with results and a mentor, all through the services users call."""
    today = today or timezone.localdate()
    user, created_user = _user(DEMO_USERNAME, DEMO_PASSWORD, "demo@cairn.localhost")
    Profile.objects.update_or_create(user=user, defaults=DEMO_PROFILE)
    mentor = demo_mentor()
    since = timezone.now() - datetime.timedelta(days=MENTOR_SINCE_DAYS)
    made = _seed_plan(user, today)
    # The plan's history is replayed in the order it happened, and the mentor accepts the
    # invitation at its moment in it: what came after reaches their inbox through the same
    # receivers as a live check-in or completion, and nothing before it does.
    new_mentorship = asked = False
    for when, event in sorted(made.events, key=lambda e: e[0]):
        if when >= since and not asked:
            new_mentorship, asked = mentor_accepts(engineer=user, mentor=mentor, at=since), True
        event(when)
    if not asked:
        new_mentorship = mentor_accepts(engineer=user, mentor=mentor, at=since)
    projects = _seed_projects(user)
    imported = seed_results(user)
    if new_mentorship:
        mentor_feedback(engineer=user, mentor=mentor)
    return SeedReport(created_user, made.goals, made.milestones, made.checkins, projects, imported)


def _user(username: str, password: str, email: str):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": email}
    )
    if created:
        user.set_password(password)
        user.save()
    return user, created


@dataclass
class _Plan:
    goals: int = 0
    milestones: int = 0
    checkins: int = 0
    # (when, do(when)): the history of the new milestones, replayed in time order.
    events: list = field(default_factory=list)


def _seed_plan(user, today: datetime.date) -> _Plan:
    """The goals and milestones of PLAN that do not exist yet, through the plan's services;
    their check-ins and status changes are returned as events to replay."""
    made = _Plan()
    current = Quarter.of(today)
    for offset, goal_specs in PLAN.items():
        q = current
        for _ in range(abs(offset)):
            q = q.next if offset > 0 else q.previous
        for spec in goal_specs:
            goal = QuarterlyGoal.objects.filter(
                owner=user, year=q.year, quarter=q.quarter, title=spec["title"]
            ).first()
            if goal is None:
                goal = goal_create(
                    owner=user, year=q.year, quarter=q.quarter, title=spec["title"],
                    why=spec["why"], success_criterion=spec["success"],
                    visibility=spec["visibility"],
                )  # fmt: skip
                made.goals += 1
            for title, due_day, status, evidence in spec["milestones"]:
                if goal.milestones.filter(title=title).exists():
                    continue
                due = q.start + datetime.timedelta(days=due_day)
                milestone = milestone_create(goal=goal, title=title, due_date=due)
                made.milestones += 1
                made.checkins += _history(made, milestone, status, evidence, q, due, today)
    return made


def _history(made: _Plan, milestone, status: str, evidence: str, q, due, today) -> int:
    """Queue the milestone's check-ins and final status as events; the number of check-ins."""
    if status == MilestoneStatus.PLANNED:
        return 0
    done = status == MilestoneStatus.DONE
    steps = [20, 45, 70, 100] if done else [15, 35, 50]
    start = max(q.start, due - datetime.timedelta(days=28))
    count = 0
    for i, progress in enumerate(steps):
        day = start + datetime.timedelta(days=7 * i)
        if day > today:
            break
        note = CHECKIN_NOTES[i % len(CHECKIN_NOTES)]
        made.events.append((_at(day, 9 + i), _checkin(milestone, progress, min(5, 2 + i), note)))
        count += 1
    finish = _at(min(due, today)) if done else _at(start, 8)
    made.events.append((finish, _status(milestone, status, evidence)))
    return count


def _checkin(milestone, progress: int, confidence: int, note: str):
    def log(when: datetime.datetime) -> None:
        checkin = checkin_create(
            milestone=milestone, author=milestone.goal.owner, progress=progress,
            confidence=confidence, note=note,
        )  # fmt: skip
        CheckIn.objects.filter(pk=checkin.pk).update(created_at=when)
        Notification.objects.filter(checkin=checkin).update(created_at=when)

    return log


def _status(milestone, status: str, evidence: str):
    def change(when: datetime.datetime) -> None:
        milestone.refresh_from_db()
        milestone_set_status(milestone=milestone, status=status, evidence_url=evidence or None)
        if status == MilestoneStatus.DONE:
            Milestone.objects.filter(pk=milestone.pk).update(done_at=when)
            Notification.objects.filter(milestone=milestone, kind="milestone").update(
                created_at=when
            )

    return change


def _seed_projects(user) -> int:
    """The demo projects, each built through the same service as the edit page."""
    made = 0
    for spec in PROJECTS:
        (first_note, first), *later = spec["revisions"]
        if Project.objects.filter(owner=user, title=first["title"]).exists():
            continue
        project = project_create(
            owner=user, content=first, visibility=spec["visibility"], change_note=first_note
        )
        for note, changes in later:
            project_save(
                project=project,
                author=user,
                base_number=project.current_revision.number,
                content=changes,
                change_note=note,
            )
        _date_revisions(project, spec["revision_days_ago"])
        made += 1
    return made


def _date_revisions(project, days_ago: tuple[int, ...]) -> None:
    """Each revision saved on its day of the story, and the mentor's inbox to match: a revision
    saved before the mentor joined never reached it (as the plan's history is replayed)."""
    now = timezone.now()
    since = now - datetime.timedelta(days=MENTOR_SINCE_DAYS)
    revisions = project.revisions.order_by("number")
    for revision, days in zip(revisions, days_ago, strict=True):
        when = now - datetime.timedelta(days=days, hours=3)
        # The one write a revision ever takes after it is made: the demo's story dates it once,
        # as it is seeded, past the queryset that refuses updates to everyone else.
        models.QuerySet.update(ProjectRevision.objects.filter(pk=revision.pk), created_at=when)
        told = Notification.objects.filter(revision=revision)
        if when < since:
            told.delete()
        else:
            told.update(created_at=when)
    Project.objects.filter(pk=project.pk).update(
        created_at=now - datetime.timedelta(days=days_ago[0], hours=3),
        updated_at=now - datetime.timedelta(days=days_ago[-1], hours=3),
    )
