from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
