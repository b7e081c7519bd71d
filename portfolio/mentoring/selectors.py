"""Reads on the people side: mentees, comments and their threads, notifications, the inbox.

Every read goes through the same rule as the pages (projects.access.visibility_q): a comment or a
notification is shown only while its subject is visible to the reader, and feedback is only ever
visible to the engineer it is about and their current mentors, never to the public.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from milestones import selectors as milestone_selectors
from milestones.models import CheckIn, Milestone, QuarterlyGoal
from milestones.quarters import Quarter
from projects.models import ExperimentImport, ImportStatus, Project
from projects.sections import SECTIONS_BY_KEY

from ..models import Comment, Mentorship, Notification, Profile


def mentees_of(mentor: AbstractBaseUser) -> QuerySet[Mentorship]:
    """The mentor's current mentorships, with each engineer's profile."""
    return (
        Mentorship.objects.active()
        .filter(mentor=mentor)
        .select_related("engineer__profile")
        .order_by("engineer__profile__display_name", "engineer__username")
    )


def mentors_someone(user: AbstractBaseUser) -> bool:
    """Whether user is anyone's current mentor: one query on the (mentor, revoked_at) index."""
    return Mentorship.objects.active().filter(mentor=user).exists()


def landing_url_name(user: AbstractBaseUser) -> str:
    """Where a signed-in user starts: their plan, unless they only mentor (no goal and no
    project of their own), when the mentoring dashboard is what they came for."""
    if not mentors_someone(user):
        return "milestones:plan"
    has_own_work = (
        QuarterlyGoal.objects.filter(owner=user).exists()
        or Project.objects.filter(owner=user).exists()
    )
    return "milestones:plan" if has_own_work else "mentoring:dashboard"


def is_mentor_of(user: AbstractBaseUser | None, engineer_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Mentorship.objects.mentee_ids(user).filter(engineer_id=engineer_id).exists()


def person_for_viewer(*, viewer: AbstractBaseUser, slug: str) -> Profile | None:
    """The engineer at slug if viewer is them or their current mentor, else None (a 404)."""
    profile = Profile.objects.select_related("user").filter(slug=slug).first()
    if profile is None or not viewer.is_authenticated:
        return None
    if profile.user_id == viewer.pk or is_mentor_of(viewer, profile.user_id):
        return profile
    return None


def _feedback_audience_q(user: AbstractBaseUser, owner: str = "owner") -> Q:
    """Feedback is between an engineer and their current mentors."""
    return Q(**{owner: user}) | Q(**{f"{owner}__in": Mentorship.objects.mentee_ids(user)})


def comments_visible_to(user: AbstractBaseUser | None) -> QuerySet[Comment]:
    """The comments user may read: on a visible subject, and user is its engineer or mentor."""
    if user is None or not user.is_authenticated:
        return Comment.objects.none()
    projects = Project.objects.visible_to(user).values("pk")
    goals = QuarterlyGoal.objects.visible_to(user).values("pk")
    return Comment.objects.filter(_feedback_audience_q(user)).filter(
        Q(revision__project__in=projects) | Q(milestone__goal__in=goals)
    )


def _work_visible_q(user: AbstractBaseUser) -> Q:
    """A notification about a revision, milestone or check-in that user may see."""
    projects = Project.objects.visible_to(user).values("pk")
    goals = QuarterlyGoal.objects.visible_to(user).values("pk")
    return (
        Q(revision__project__in=projects)
        | Q(run__project__in=projects)
        | Q(milestone__goal__in=goals)
        | Q(checkin__milestone__goal__in=goals)
    )


def notifications_visible_to(user: AbstractBaseUser) -> QuerySet[Notification]:
    """user's notifications whose subject user may still see (access can end after they came)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    comments = comments_visible_to(user).values("pk")
    audience = _feedback_audience_q(user, owner="engineer")
    return Notification.objects.filter(recipient=user).filter(
        Q(kind=Notification.Kind.ACCEPTED, engineer=user)
        | (audience & (Q(comment__in=comments) | _work_visible_q(user)))
    )


def inbox_items(mentor: AbstractBaseUser) -> QuerySet[Notification]:
    """The mentor's unacknowledged check-ins, revisions and completed milestones that they may
    still see: notifications_visible_to without the comment clause, which never matches them."""
    if not mentor.is_authenticated:
        return Notification.objects.none()
    audience = _feedback_audience_q(mentor, owner="engineer")
    return Notification.objects.filter(
        audience & _work_visible_q(mentor),
        recipient=mentor,
        kind__in=Notification.INBOX_KINDS,
        read_at__isnull=True,
    )


def unread_count(user: AbstractBaseUser) -> int:
    return notifications_visible_to(user).filter(read_at__isnull=True).count()


def _comment_url(comment: Comment, slug: str) -> str:
    root = comment.parent_id or comment.pk
    if comment.revision_id:
        rev = comment.revision
        url = reverse("mentoring:revision", args=[slug, rev.project.slug, rev.number])
    else:
        url = reverse("mentoring:milestone", args=[slug, comment.milestone_id])
    return f"{url}#comment-{root}"


def _checkin_notes_per_recipient(notifications: list[Notification]) -> dict[tuple, str]:
    """Check-in notes as each notification's recipient may read them (automatic ones name runs)."""
    by_recipient: dict[int, list] = {}
    people = {}
    for n in notifications:
        if n.checkin_id:
            by_recipient.setdefault(n.recipient_id, []).append(n.checkin)
            people[n.recipient_id] = n.recipient
    notes: dict[tuple, str] = {}
    for recipient_id, checkins in by_recipient.items():
        mine = milestone_selectors.checkin_notes(checkins, viewer=people[recipient_id])
        notes |= {(recipient_id, pk): note for pk, note in mine.items()}
    return notes


def notification_rows(notifications: QuerySet[Notification]) -> list[dict]:
    """Each notification as text, a link to what it is about, and its dates."""
    rows = []
    query = notifications.select_related(
        "actor__profile",
        "engineer__profile",
        "comment__revision__project",
        "comment__milestone",
        "checkin__milestone",
        "milestone",
        "revision__project",
        "run__project",
        "recipient",
    )
    query = list(query)
    notes = _checkin_notes_per_recipient(query)
    for n in query:
        actor = _name(n.actor)
        slug = n.engineer.profile.slug
        kind = n.kind
        K = Notification.Kind
        if kind in (K.COMMENT, K.REPLY, K.RESOLVED, K.REOPENED):
            c = n.comment
            subject = _comment_subject(c)
            verb = {
                K.COMMENT: "commented on",
                K.REPLY: "replied on",
                K.RESOLVED: "resolved a thread on",
                K.REOPENED: "reopened a thread on",
            }[kind]
            text = f"{actor} {verb} {subject}"
            url = _comment_url(c, slug)
            excerpt = c.body[:140]
        elif kind == K.CHECKIN:
            m = n.checkin.milestone
            text = f"{actor} logged a check-in on “{m.title}” ({n.checkin.progress}%)"
            url = reverse("mentoring:milestone", args=[slug, m.pk]) + f"#checkin-{n.checkin_id}"
            excerpt = notes[n.recipient_id, n.checkin_id][:140]
        elif kind == K.MILESTONE:
            text = f"{actor} completed “{n.milestone.title}”"
            url = reverse("mentoring:milestone", args=[slug, n.milestone_id])
            excerpt = ""
        elif kind == K.REVISION:
            r = n.revision
            text = f"{actor} saved revision {r.number} of “{r.project.title}”"
            url = reverse("mentoring:revision", args=[slug, r.project.slug, r.number])
            excerpt = r.change_note
        elif kind == K.RUN:
            run = n.run
            text = f"{actor} finished run “{run.name}” of “{run.project.title}”"
            if run.status and run.status != "FINISHED":
                text += f" ({run.status.lower()})"
            url = reverse("mentoring:project", args=[slug, run.project.slug])
            excerpt = _run_excerpt(run.summary)
        else:
            text = f"{actor} accepted your invitation to mentor you"
            url = reverse("mentoring:mentors")
            excerpt = ""
        rows.append(
            {
                "id": n.pk,
                "kind": kind,
                "text": text,
                "excerpt": excerpt,
                "url": url,
                "created_at": n.created_at,
                "read": n.read_at is not None,
                "engineer": n.engineer,
                "actor": n.actor,
            }
        )
    return rows


def _run_excerpt(summary: dict) -> str:
    """The last value of a run's first few metrics ("loss 0.12 · acc 0.93")."""
    parts = [
        f"{key} {entry['last']:.4g}"
        for key, entry in list(summary.items())[:4]
        if isinstance(entry, dict) and isinstance(entry.get("last"), int | float)
    ]
    return " · ".join(parts)


def _name(user: AbstractBaseUser) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


def _comment_subject(c: Comment) -> str:
    if c.revision_id and c.pin:
        return f"{c.pin_label} of “{c.revision.project.title}”"
    if c.revision_id:
        where = f"revision {c.revision.number} of “{c.revision.project.title}”"
        if c.section:
            section = SECTIONS_BY_KEY.get(c.section)
            where = f"{section.title if section else c.section} in {where}"
        return where
    return f"milestone “{c.milestone.title}”"


def inbox_for(mentor: AbstractBaseUser, *, limit: int = 50) -> dict:
    """The mentor's inbox: unacknowledged check-ins, revisions and completed milestones of
    current mentees, newest first, with a count per mentee."""
    items = inbox_items(mentor)
    per_mentee = dict(
        items.order_by()
        .values_list("engineer_id")
        .annotate(n=Count("pk"))
        .values_list("engineer_id", "n")
    )
    mentorships = list(mentees_of(mentor))
    mentees = [
        {"mentorship": m, "profile": m.engineer.profile, "unread": per_mentee.get(m.engineer_id, 0)}
        for m in mentorships
    ]
    # The newest ids first, then the related rows of those only: joining them for every unread
    # item before the sort (PostgreSQL does, even with the ids as a subquery) cost 40 ms.
    newest = list(items.order_by("-created_at", "-id").values_list("pk", flat=True)[:limit])
    rows = notification_rows(
        Notification.objects.filter(pk__in=newest).order_by("-created_at", "-id")
    )
    return {
        "mentees": mentees,
        "items": rows,
        "total": sum(per_mentee.values()),
        "shown": len(rows),
    }


def open_thread_count(*, viewer: AbstractBaseUser, project: Project) -> int:
    return (
        comments_visible_to(viewer)
        .filter(revision__project=project, parent__isnull=True, resolved_at__isnull=True)
        .count()
    )


def person_overview(*, viewer: AbstractBaseUser, profile: Profile) -> dict:
    """What viewer may read of an engineer: goals by quarter (newest first) with milestones and
    their latest check-in, and projects with their open thread counts, in a fixed number of
    queries."""
    engineer = profile.user
    latest = CheckIn.objects.filter(milestone=OuterRef("pk")).order_by("-created_at", "-id")
    milestones = Milestone.objects.annotate(
        last_progress=Subquery(latest.values("progress")[:1]),
        last_checkin_at=Subquery(latest.values("created_at")[:1]),
    )
    goals = (
        QuarterlyGoal.objects.visible_to(viewer)
        .filter(owner=engineer)
        .order_by("-year", "-quarter", "position", "id")
        .prefetch_related(Prefetch("milestones", queryset=milestones))
    )
    quarters: dict[Quarter, list[QuarterlyGoal]] = {}
    for goal in goals:
        quarters.setdefault(Quarter(goal.year, goal.quarter), []).append(goal)
    projects = list(
        Project.objects.visible_to(viewer)
        .filter(owner=engineer)
        .select_related("current_revision")
        .order_by("-updated_at", "-id")
    )
    open_threads = dict(
        comments_visible_to(viewer)
        .filter(revision__project__in=projects, parent__isnull=True, resolved_at__isnull=True)
        .order_by()
        .values_list("revision__project")
        .annotate(n=Count("pk"))
        .values_list("revision__project", "n")
    )
    for project in projects:
        project.open_threads = open_threads.get(project.pk, 0)
    return {"quarters": list(quarters.items()), "projects": projects}


# Background work older than this that has not started is worth a word to its owner.
DELAYED_AFTER = timedelta(minutes=1)


def background_work_delayed(*, user_id: int) -> bool:
    """Whether user's background work waits too long: tasks kept in the outbox while the broker
    is down, or imports still queued. One query, on indexed columns."""
    from outbox.models import OutboxTask

    cutoff = timezone.now() - DELAYED_AFTER
    waiting = OutboxTask.objects.filter(owner_id=user_id, created_at__lt=cutoff)
    queued = ExperimentImport.objects.filter(
        project__owner_id=user_id, status=ImportStatus.QUEUED, created_at__lt=cutoff
    )
    return (
        get_user_model()
        ._default_manager.filter(pk=user_id)
        .filter(Exists(waiting) | Exists(queued))
        .exists()
    )
