from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from projects.wording import agree, quoted

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$"
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "accounts", "login", "logout", "signup", "settings", "static", "media",
        "plan", "projects", "u", "me", "new", "edit", "help", "about", "cairn", "www", "mentor",
        "mentors", "sitemap", "robots", "feed", "dashboard",
    }
)  # fmt: skip

slug_validator = RegexValidator(
    SLUG_PATTERN,
    "Use 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
)


class NotifyChoice(models.TextChoices):
    IMMEDIATE = "immediate", "Right away"
    DAILY = "daily", "One daily digest"
    NONE = "none", "Never"


class ProfileQuerySet(models.QuerySet):
    def public(self) -> ProfileQuerySet:
        """The profiles their engineers made public: the only ones a visitor may read."""
        return self.filter(is_public=True)


class Profile(models.Model):
    """What an engineer says about themselves; public only when they choose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    display_name = models.CharField(max_length=80, blank=True)
    headline = models.CharField(max_length=140, blank=True)
    bio = models.TextField(blank=True, help_text="Markdown.")
    links = models.JSONField(default=list, blank=True)
    open_to_work = models.BooleanField(default=False)
    is_public = models.BooleanField(
        "public profile", default=False, help_text="Off: only you can see your profile."
    )
    show_activity = models.BooleanField(
        "show my activity calendar",
        default=True,
        help_text="The calendar of days with check-ins, revisions and imports on your public "
        "profile. You always see it on your plan.",
    )
    email_notifications = models.CharField(
        "email me about feedback and my mentees",
        max_length=10,
        choices=NotifyChoice.choices,
        default=NotifyChoice.DAILY,
    )
    # Changes with every write that a public page of this engineer may show, in the same
    # transaction (portfolio/public/cache.py): a cached page of another version is never served,
    # even when the cache could not be told of the change.
    public_version = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("profile")

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_username()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal access token for the HTTP API. Only a hash of the secret is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class MentorshipQuerySet(models.QuerySet):
    def active(self) -> MentorshipQuerySet:
        """Accepted and not revoked: the mentor may read what is shared with mentors."""
        return self.filter(mentor__isnull=False, accepted_at__isnull=False, revoked_at__isnull=True)

    def mentee_ids(self, mentor) -> models.QuerySet:
        """The ids of the engineers mentor mentors now, as a subquery (the visibility rule's
        source of mentorships, projects.access)."""
        return self.active().filter(mentor=mentor).values("engineer_id")

    def pending(self) -> MentorshipQuerySet:
        """Invitations that can still be accepted."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Mentorship(models.Model):
    """An engineer's invitation to a mentor and, once accepted, the mentor's access.

    The invitation link carries a secret; only its SHA-256 is stored (`token_hash`).
    """

    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_given"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mentorships",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField("mentor's email", blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = MentorshipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["mentor", "revoked_at"]),
            models.Index(fields=["engineer", "revoked_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(mentor__isnull=False),
                name="mentorship_accepted_has_mentor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.engineer} → {self.mentor or self.email or 'invitation'}"

    @property
    def state(self) -> str:
        """invited, active, revoked or expired."""
        if self.revoked_at:
            return "revoked"
        if self.accepted_at:
            return "active"
        if self.expires_at <= timezone.now():
            return "expired"
        return "invited"


class MentorshipEvent(models.Model):
    """The audit trail of a mentorship: who invited, accepted or revoked, and when."""

    class Action(models.TextChoices):
        INVITED = "invited", "invited"
        EMAILED = "emailed", "emailed the invitation"
        ACCEPTED = "accepted", "accepted"
        REVOKED = "revoked", "revoked"
        REFUSED = "refused", "refused a link"

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} at {self.at:%Y-%m-%d %H:%M}"


class Comment(models.Model):
    """Feedback pinned to what it was about: a project revision (optionally one section and a
    quoted passage), a milestone or a check-in. Replies point at their thread's first comment."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    # The engineer whose item this is about; every comment of a thread carries it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback"
    )
    revision = models.ForeignKey(
        "projects.ProjectRevision",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    section = models.CharField(max_length=40, blank=True)
    quote = models.CharField(max_length=500, blank=True)
    milestone = models.ForeignKey(
        "milestones.Milestone",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    checkin = models.ForeignKey(
        "milestones.CheckIn",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
    )
    # Feedback on results rather than words: one run, or a chart (a metric over chosen runs).
    # `pin` keeps what the reader saw ({"run": id, "names": [label]} or {"metric": key, "runs":
    # [ids], "names": [labels]}), so the thread still says what it was about once a run is gone.
    # The thread sits on the revision that was current when it was written.
    run = models.ForeignKey(
        "projects.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pin = models.JSONField(default=dict, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revision__isnull=False, milestone__isnull=True)
                | models.Q(revision__isnull=True, milestone__isnull=False),
                name="comment_on_a_revision_or_a_milestone",
            ),
            models.CheckConstraint(
                condition=models.Q(section="") | models.Q(revision__isnull=False),
                name="comment_section_needs_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def pin_label(self) -> str:
        """What a comment on results is about, in words: run “r1”, chart loss for runs “a”, “b”."""
        if not self.pin:
            return ""
        names = [str(n) for n in self.pin.get("names", [])]
        if "metric" not in self.pin:
            return f"run {quoted(names)}"
        runs = agree(len(names), "run", "runs")
        return f"chart {self.pin['metric']} for {runs} {quoted(names, 5)}"


class Notification(models.Model):
    """Something a user should look at: feedback on their work, or, for a mentor, a mentee's
    new check-in, revision or finished milestone (the mentor's inbox)."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "commented"
        REPLY = "reply", "replied"
        RESOLVED = "resolved", "resolved a thread"
        REOPENED = "reopened", "reopened a thread"
        ACCEPTED = "accepted", "accepted your invitation"
        CHECKIN = "checkin", "logged a check-in"
        REVISION = "revision", "saved a new revision"
        MILESTONE = "milestone", "completed a milestone"
        RUN = "run", "finished a run"

    INBOX_KINDS = (Kind.CHECKIN, Kind.REVISION, Kind.MILESTONE, Kind.RUN)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Whose work it is about: the engineer (for inbox items, the mentee).
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True)
    checkin = models.ForeignKey(
        "milestones.CheckIn", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    milestone = models.ForeignKey(
        "milestones.Milestone", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    revision = models.ForeignKey(
        "projects.ProjectRevision",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # A run logged live that finished (tracking/, through projects.signals.run_finished).
    run = models.ForeignKey(
        "projects.Run", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"]),
            models.Index(fields=["recipient", "emailed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_kind_display()} → {self.recipient}"
