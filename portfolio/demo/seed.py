"""Demo data: an engineer whose year of planning shows every feature of Cairn.

Idempotent: each object is looked up by its natural key before it is created, and check-ins are
only added to milestones that have none.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from milestones.models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal
from milestones.quarters import Quarter
from projects.models import Project, ProjectRevision
from projects.services import project_create, project_save

from ..models import Profile
from .projects import PROJECTS

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - a documented demo login, refused in production
MENTOR_USERNAME = "mentor"
MENTOR_PASSWORD = "mentor"  # noqa: S105 - a documented demo login, refused in production
MENTOR_SINCE_DAYS = 45

# Per quarter, counted back from the current one (0), then one ahead (+1). Each milestone is
# (title, due day within the quarter, status, evidence URL).
PLAN: dict[int, list[dict]] = {
    -3: [
        {
            "title": "Get fluent with PyTorch training loops",
            "why": "Keras hid too much; I want to debug training myself.",
            "success": "Rewrite the churn model in plain PyTorch with the same AUC",
            "visibility": "public",
            "milestones": [
                ("Finish the PyTorch 60-minute blitz and write notes", 14, "done", ""),
                (
                    "Port churn model to PyTorch, match Keras AUC ±0.005",
                    45,
                    "done",
                    "https://github.com/demo/churn-pytorch/pull/3",
                ),
                ("Add mixed precision and measure speed-up", 70, "done", ""),
                ("Write a blog post on what changed", 85, "dropped", ""),
            ],
        },
        {
            "title": "Learn experiment tracking properly",
            "why": "I lose track of which run produced which number.",
            "success": "Every experiment of the quarter logged in MLflow",
            "visibility": "mentors",
            "milestones": [
                ("Self-host MLflow with a Postgres backend", 20, "done", ""),
                ("Log params, metrics and artifacts from the training script", 40, "done", ""),
                ("Compare 10 runs and pick a model from the UI", 80, "done", ""),
            ],
        },
    ],
    -2: [
        {
            "title": "Reproduce a paper end to end",
            "why": "Reading papers is not the same as making them work.",
            "success": "Within 1 point of the reported top-1 accuracy on CIFAR-10",
            "visibility": "public",
            "milestones": [
                ("Pick the paper and list every training detail", 10, "done", ""),
                ("Baseline ResNet-18 at 93% on CIFAR-10", 35, "done", ""),
                (
                    "Implement the augmentation policy from the paper",
                    60,
                    "done",
                    "https://github.com/demo/autoaug-repro",
                ),
                ("Run 3 seeds each and report mean ± sd", 85, "done", ""),
            ],
        },
        {
            "title": "Statistics for ML evaluation",
            "why": "I want to know when a difference between runs is real.",
            "success": "Explain a bootstrap interval to the team with our own data",
            "visibility": "private",
            "milestones": [
                ("Work through chapters 1-5 of 'Statistical Rethinking'", 30, "done", ""),
                ("Bootstrap confidence intervals for our A/B test", 60, "done", ""),
                ("Lunch-and-learn talk on significance testing", 88, "dropped", ""),
            ],
        },
    ],
    -1: [
        {
            "title": "Ship the fraud model to production",
            "why": "A model that never serves traffic teaches half of the job.",
            "success": "Live behind the API with p95 latency under 80 ms",
            "visibility": "public",
            "milestones": [
                ("Containerise the model server (FastAPI + ONNX)", 15, "done", ""),
                ("Load test: p95 under 80 ms at 200 rps", 35, "done", ""),
                ("Shadow deployment for two weeks", 60, "done", ""),
                ("Drift and latency dashboards with alerts", 75, "done", ""),
                (
                    "Write the rollback runbook",
                    88,
                    "done",
                    "https://wiki.example.com/fraud-rollback",
                ),
            ],
        },
        {
            "title": "Feature store basics",
            "why": "Training/serving skew bit us twice.",
            "success": "One feature served from the same code online and offline",
            "visibility": "mentors",
            "milestones": [
                ("Evaluate Feast against a home-grown table", 25, "done", ""),
                ("Move the 'days since last purchase' feature", 60, "in_progress", ""),
            ],
        },
    ],
    0: [
        {
            "title": "Fine-tune a small language model for support tickets",
            "why": "Routing tickets by hand costs the team hours every day.",
            "success": "Macro-F1 ≥ 0.85 on the held-out month, beating the TF-IDF baseline",
            "visibility": "public",
            "milestones": [
                ("Label 2,000 tickets with the support team", 12, "done", ""),
                ("TF-IDF + logistic regression baseline", 20, "done", ""),
                ("LoRA fine-tune of a 1B model, 3 seeds", 45, "in_progress", ""),
                ("Error analysis on the worst two classes", 60, "planned", ""),
                ("Latency budget check on CPU inference", 80, "planned", ""),
            ],
        },
        {
            "title": "Get better at ML system design",
            "why": "Senior interviews and real work both need it.",
            "success": "Mock design interview passed with my mentor",
            "visibility": "mentors",
            "milestones": [
                ("Read 'Designing Machine Learning Systems' ch. 1-6", 25, "in_progress", ""),
                ("Write up a design for a recommendation system", 50, "planned", ""),
                ("Mock interview with a mentor", 80, "planned", ""),
            ],
        },
        {
            "title": "Keep a public record of my work",
            "why": "Employers should be able to check what I claim.",
            "success": "Portfolio with three projects traced to their results",
            "visibility": "private",
            "milestones": [
                ("Write up the fraud model project", 20, "done", ""),
                ("Import the CIFAR reproduction runs", 40, "planned", ""),
                ("Publish the profile", 70, "planned", ""),
            ],
        },
    ],
    1: [
        {
            "title": "Distributed training",
            "why": "The next models will not fit one GPU.",
            "success": "Train on 4 GPUs with near-linear speed-up",
            "visibility": "private",
            "milestones": [
                ("DDP tutorial and a toy run", 20, "planned", ""),
                ("FSDP on the ticket model", 60, "planned", ""),
            ],
        },
    ],
}

CHECKIN_NOTES = [
    "Set up the environment and read the docs.",
    "First version works on a small sample.",
    "Blocked for a day on a data bug; fixed the join.",
    "Results look reasonable; cleaning up the code.",
    "Nearly there; writing it up.",
]


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
    """Create (or complete) the demo engineer, their public profile and a year of plan."""
    today = today or timezone.localdate()
    User = get_user_model()
    user, created_user = User.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "demo@cairn.localhost"}
    )
    if created_user:
        user.set_password(DEMO_PASSWORD)
        user.save()
    Profile.objects.update_or_create(
        user=user,
        defaults={
            "slug": "demo",
            "display_name": "Dana Demo",
            "headline": "ML engineer · NLP and production ML",
            "bio": (
                "I build and ship ML systems: **fraud detection** in production, a "
                "reproduction of an augmentation paper, and now a ticket router built on a "
                "fine-tuned small language model.\n\n"
                "- 4 years in data science, 2 in ML engineering\n"
                "- PyTorch, MLflow, FastAPI, Postgres"
            ),
            "links": ["https://github.com/demo", "https://demo.example.com/blog"],
            "open_to_work": True,
            "is_public": True,
        },
    )
    goals = milestones = checkins = 0
    current = Quarter.of(today)
    for offset, goal_specs in PLAN.items():
        q = current
        for _ in range(abs(offset)):
            q = q.next if offset > 0 else q.previous
        for position, spec in enumerate(goal_specs, start=1):
            goal, made = QuarterlyGoal.objects.get_or_create(
                owner=user,
                year=q.year,
                quarter=q.quarter,
                title=spec["title"],
                defaults={
                    "why": spec["why"],
                    "success_criterion": spec["success"],
                    "visibility": spec["visibility"],
                    "position": position,
                },
            )
            goals += made
            for m_pos, (title, due_day, status, evidence) in enumerate(spec["milestones"], 1):
                due = q.start + datetime.timedelta(days=due_day)
                done_at = _at(min(due, today)) if status == MilestoneStatus.DONE else None
                milestone, made = Milestone.objects.get_or_create(
                    goal=goal,
                    title=title,
                    defaults={
                        "due_date": due,
                        "status": status,
                        "done_at": done_at,
                        "evidence_url": evidence,
                        "position": m_pos,
                    },
                )
                milestones += made
                if status != MilestoneStatus.PLANNED and not milestone.checkins.exists():
                    checkins += _seed_checkins(milestone, user, q, due, today)
    projects = _seed_projects(user)
    imported = _seed_imports(user)
    _seed_mentor(user)
    return SeedReport(created_user, goals, milestones, checkins, projects, imported)


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
        made += 1
    return made


def _seed_checkins(milestone, user, q: Quarter, due: datetime.date, today) -> int:
    done = milestone.status == MilestoneStatus.DONE
    steps = [20, 45, 70, 100] if done else [15, 35, 50]
    start = max(q.start, due - datetime.timedelta(days=28))
    rows = []
    for i, progress in enumerate(steps):
        day = start + datetime.timedelta(days=7 * i)
        if day > today:
            break
        rows.append(
            CheckIn(
                milestone=milestone,
                author=user,
                progress=progress,
                confidence=min(5, 2 + i),
                note=CHECKIN_NOTES[i % len(CHECKIN_NOTES)],
                created_at=_at(day, 9 + i),
            )
        )
    CheckIn.objects.bulk_create(rows)
    return len(rows)


SAMPLES = Path(__file__).resolve().parents[2] / "projects" / "samples"
# Which sample files go into which demo project; a tuple is one import of several files.
DEMO_IMPORTS = {
    "Real-time card fraud detection": ["long.csv", "mlflow_runs.csv", "mlruns.zip"],
    "Reproducing AutoAugment on CIFAR-10": [
        "keras_training_log.csv",
        ("lightning_logs/version_0/metrics.csv", "lightning_logs/version_0/hparams.yaml"),
        "run-resnet-tag-val_loss.csv",
        "run-resnet-tag-val_loss.json",
        "wandb_export_runs.csv",
        "wandb_export_chart.csv",
    ],
    "Support ticket router": ["metrics.jsonl"],
}


def _seed_imports(user) -> int:
    """Import every sample file through the real pipeline, in this process."""
    from projects import imports

    made = 0
    for title, entries in DEMO_IMPORTS.items():
        project = Project.objects.filter(owner=user, title=title).first()
        if project is None:
            continue
        for entry in entries:
            names = entry if isinstance(entry, tuple) else (entry,)
            handles = [(SAMPLES / name).open("rb") for name in names]
            try:
                uploads = [
                    imports.Upload(Path(name).name, handle, (SAMPLES / name).stat().st_size)
                    for name, handle in zip(names, handles, strict=True)
                ]
                imp, created = imports.import_create(project=project, user=user, uploads=uploads)
            finally:
                for handle in handles:
                    handle.close()
            if created or imp.status == "queued":
                imports.import_process(import_id=imp.pk, token=f"seed-{imp.pk}")
                made += created
    return made


def _seed_mentor(engineer) -> None:
    """A mentor (mentor/mentor) who accepted the demo engineer's invitation six weeks ago,
    with an inbox of what happened since and a few threads of feedback."""
    from portfolio.mentoring.comments import (
        comment_on_milestone,
        comment_on_revision,
        comment_reply,
    )
    from portfolio.mentoring.mentorships import mentorship_accept, mentorship_invite

    from ..models import Mentorship, Notification

    User = get_user_model()
    mentor, created = User.objects.get_or_create(
        username=MENTOR_USERNAME, defaults={"email": "mentor@cairn.localhost"}
    )
    if created:
        mentor.set_password(MENTOR_PASSWORD)
        mentor.save()
    Profile.objects.get_or_create(
        user=mentor,
        defaults={
            "slug": "mentor",
            "display_name": "Morgan Mentor",
            "headline": "Staff ML engineer · mentoring on evaluation and MLOps",
        },
    )
    if Mentorship.objects.filter(engineer=engineer, mentor=mentor).exists():
        return
    _, token = mentorship_invite(engineer=engineer, note="Would love your eyes on my evaluation.")
    mentorship = mentorship_accept(token=token, mentor=mentor)
    since = timezone.now() - datetime.timedelta(days=MENTOR_SINCE_DAYS)
    Mentorship.objects.filter(pk=mentorship.pk).update(accepted_at=since)
    mentorship.events.update(at=since)
    Notification.objects.filter(mentorship=mentorship).update(created_at=since)

    # The inbox holds what the engineer shared with mentors since the mentor accepted.
    items = (
        [
            Notification(
                recipient=mentor, actor=engineer, engineer=engineer, kind="checkin", checkin=c
            )
            for c in CheckIn.objects.shared_with_mentors().filter(
                milestone__goal__owner=engineer, created_at__gte=since
            )
        ]
        + [
            Notification(
                recipient=mentor, actor=engineer, engineer=engineer, kind="revision", revision=r
            )
            for r in ProjectRevision.objects.filter(
                project__in=Project.objects.shared_with_mentors().filter(owner=engineer),
                created_at__gte=since,
            )
        ]
        + [
            Notification(
                recipient=mentor, actor=engineer, engineer=engineer, kind="milestone", milestone=m
            )
            for m in Milestone.objects.shared_with_mentors().filter(
                goal__owner=engineer, done_at__gte=since
            )
        ]
    )
    Notification.objects.bulk_create(items)
    # Each item is dated when it happened, as it would have been had the mentor been there.
    mine = Notification.objects.filter(recipient=mentor)
    mine.filter(kind="checkin").update(
        created_at=Subquery(CheckIn.objects.filter(pk=OuterRef("checkin")).values("created_at"))
    )
    mine.filter(kind="revision").update(
        created_at=Subquery(
            ProjectRevision.objects.filter(pk=OuterRef("revision")).values("created_at")
        )
    )
    mine.filter(kind="milestone").update(
        created_at=Subquery(Milestone.objects.filter(pk=OuterRef("milestone")).values("done_at"))
    )

    project = Project.objects.filter(owner=engineer, visibility="mentors").first()
    if project is not None:
        first = project.revisions.order_by("number").first()
        current = project.current_revision
        if first.problem:
            old = comment_on_revision(
                author=mentor,
                revision=first,
                section="problem",
                body="Say which number you are trying to reproduce, and from which table.",
            )
            comment_reply(author=engineer, thread=old, body="Good call: added Table 2's figure.")
        comment_on_revision(
            author=mentor,
            revision=current,
            section="evaluation" if current.evaluation else "",
            body="How many seeds per arm? One run each will not separate 1.5 points.",
        )
    milestone = (
        Milestone.objects.shared_with_mentors()
        .filter(goal__owner=engineer)
        .filter(checkins__isnull=False)
        .order_by("-updated_at")
        .first()
    )
    if milestone is not None:
        comment_on_milestone(
            author=mentor,
            milestone=milestone,
            checkin=milestone.checkins.first(),
            body="Nice progress. What is blocking the last part?",
        )
