"""The people side as the core's pages see it: links to its pages and a person's profile flags.

projects and milestones never import portfolio (tests/test_architecture.py), nor do their
templates name its URL namespaces or read `request.user.profile`. portfolio registers what the
core's pages may show of it when it starts (`PortfolioConfig.ready`), as it registers the source
of mentorships in projects/access.py: named links, built from objects a core page already has,
and the flags of a person's profile. The core's views put them in their templates' context.
Without a registration (the core alone) a link is None, the page shows none, and every profile
counts as private.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The links a core page may show, with the objects each one is built from.
PROJECT_FEEDBACK = "project-feedback"  # owner, project: the project's feedback threads
PROJECT_PUBLIC = "project-public"  # owner, project: the project's public page
# owner, project, viewer: where viewer posts feedback pinned to a run or a chart (None if
# viewer may not discuss the owner's work)
RESULTS_FEEDBACK = "results-feedback"
MILESTONE_FEEDBACK = "milestone-feedback"  # owner, milestone: the milestone's feedback threads
PROFILE_SETTINGS = "profile-settings"  # (nothing): the signed-in person's profile settings
PROJECT_SYNC = "project-sync"  # owner, project: the project's "Sync from MLflow" page (mlsync)


@dataclass(frozen=True)
class ProfileFlags:
    """What the core's pages know of a person's profile."""

    public: bool = False
    shows_activity: bool = False

    @property
    def activity_is_public(self) -> bool:
        """Whether others may see the person's activity: a public profile that shows it."""
        return self.public and self.shows_activity


_links: dict[str, Callable[..., str | None]] = {}
_flags_source: Callable[[object], ProfileFlags] | None = None


def register_link(name: str, build: Callable[..., str | None]) -> None:
    """Register build(**objects) -> the URL of a people-side page, or None when there is none."""
    _links[name] = build


def link(name: str, **objects) -> str | None:
    """The URL registered under name for these objects; None when nothing is registered."""
    build = _links.get(name)
    return None if build is None else build(**objects)


def register_profile_flags(source: Callable[[object], ProfileFlags]) -> None:
    """Register source(user) -> that user's ProfileFlags."""
    global _flags_source
    _flags_source = source


def profile_flags(user) -> ProfileFlags:
    """The flags of user's profile; all off for anyone signed out or without a registration."""
    if _flags_source is None or user is None or not user.is_authenticated:
        return ProfileFlags()
    return _flags_source(user)


_open_threads_source: Callable[[object], int] | None = None


def register_open_threads(source: Callable[[object], int]) -> None:
    """Register source(project) -> how many feedback threads on project are still open."""
    global _open_threads_source
    _open_threads_source = source


def open_threads(project) -> int:
    """The open feedback threads on project; 0 without a registration."""
    return 0 if _open_threads_source is None else _open_threads_source(project)
