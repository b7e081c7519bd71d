"""Writes on the people side: accounts and profiles."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..models import RESERVED_SLUGS, SLUG_PATTERN, Profile

User = get_user_model()


def slug_suggest(*, base: str) -> str:
    """A free profile slug derived from base (usually the username)."""
    # Strip after cutting too: a cut can end on a hyphen, which SLUG_PATTERN refuses.
    stem = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:34].rstrip("-") or "engineer"
    if len(stem) < 3:
        stem = f"{stem}-ml"
    candidate, n = stem, 1
    while candidate in RESERVED_SLUGS or Profile.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


@transaction.atomic
def user_signup(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """Create an account and its (private) profile."""
    user = User.objects.create_user(username=username, email=email, password=password)
    # A username may be longer than a display name; the profile form lets the user fix the cut.
    display_name = username[: Profile._meta.get_field("display_name").max_length]
    Profile.objects.create(user=user, slug=slug_suggest(base=username), display_name=display_name)
    return user


def profile_get_or_create(*, user: AbstractBaseUser) -> Profile:
    """The user's profile, created on first use for accounts made outside sign-up."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile.objects.create(user=user, slug=slug_suggest(base=user.get_username()))


def profile_update(*, profile: Profile, data: dict) -> Profile:
    """Save a validated profile form's data."""
    for field, value in data.items():
        setattr(profile, field, value)
    profile.full_clean()
    profile.save()
    return profile


def slug_availability(*, slug: str, profile: Profile | None) -> tuple[bool, str]:
    """Whether slug can be this profile's, with the reason to show beside the field."""
    slug = slug.strip().lower()
    if not re.match(SLUG_PATTERN, slug):
        return False, "Use 3 to 40 lowercase letters, digits or hyphens."
    # Reserved and taken answer alike, so the check does not tell that a private profile exists.
    unavailable = f"“{slug}” is not available; pick another."
    if slug in RESERVED_SLUGS:
        return False, unavailable
    taken = Profile.objects.filter(slug=slug)
    if profile is not None:
        taken = taken.exclude(pk=profile.pk)
    if taken.exists():
        return False, unavailable
    return True, f"“{slug}” is available."
