"""Values every page's template may use."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .mentoring import selectors

# The banner may lag this much behind the outbox: a page costs no query in between.
REMEMBER = timedelta(seconds=15)
_remembered: dict[int, tuple[object, bool]] = {}


def _delayed(user_id: int) -> bool:
    now = timezone.now()
    seen = _remembered.get(user_id)
    if seen is not None and now - REMEMBER <= seen[0] <= now:
        return seen[1]
    delayed = selectors.background_work_delayed(user_id=user_id)
    if len(_remembered) > 10_000:
        _remembered.clear()
    _remembered[user_id] = (now, delayed)
    return delayed


def forget_background_work() -> None:
    """Read the outbox again on the next page (tests)."""
    _remembered.clear()


def mentoring_first(request: HttpRequest) -> dict:
    """`mentoring_first`: the signed-in user mentors someone, so the navigation leads with
    Mentoring. Lazy: one indexed query, only on pages that draw the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"mentoring_first": False}
    return {"mentoring_first": SimpleLazyObject(lambda: selectors.mentors_someone(user))}


def background_work(request: HttpRequest) -> dict:
    """`background_delayed`: whether the signed-in user's background work waits too long
    (broker down, workers behind). Read only by pages that show the banner, once."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"background_delayed": False}
    user_id = user.pk
    return {"background_delayed": SimpleLazyObject(lambda: _delayed(user_id))}


# The mentoring pages about someone else's work (the dashboard and what it links to).
_MENTORING_PAGES = {"dashboard", "person", "project", "revision", "milestone"}


def nav_section(request: HttpRequest) -> dict:
    """`nav_section`: which item of the main navigation the page belongs to ("plan",
    "projects", "mentoring", "profile" or ""). A mentor reading a mentee's project on its
    reader route (/projects/<id>~<slug>/…) is mentoring, not in their own projects."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {"nav_section": ""}
    reader = "~" in str(match.kwargs.get("slug", ""))
    if match.app_name == "projects":
        section = "mentoring" if reader else "projects"
    elif match.app_name == "milestones":
        section = "plan"
    elif match.app_name == "mentoring" and match.url_name in _MENTORING_PAGES:
        section = "mentoring"
    elif match.url_name == "profile":
        section = "profile"
    else:
        section = ""
    return {"nav_section": section}
