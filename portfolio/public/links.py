"""Links from the core's pages to the public portfolio, and the profile flags they are given
(registered in projects/people.py)."""

from __future__ import annotations

from django.urls import reverse

from projects.people import ProfileFlags


def project_page(*, owner, project) -> str | None:
    """A project's public page; None when its owner has no profile slug."""
    profile = getattr(owner, "profile", None)
    if profile is None or not profile.slug:
        return None
    return reverse("public:project", args=[profile.slug, project.slug])


def flags_of(profile) -> ProfileFlags:
    """The flags of a profile that the core's pages and charts are given."""
    return ProfileFlags(public=profile.is_public, shows_activity=profile.show_activity)


def profile_flags(user) -> ProfileFlags:
    """The flags of user's profile; all off when user has none."""
    profile = getattr(user, "profile", None)
    return ProfileFlags() if profile is None else flags_of(profile)
