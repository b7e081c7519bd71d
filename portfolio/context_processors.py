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
