"""Who mentors whom, asked by the visibility rules without projects importing the people side.

portfolio registers the source of mentorships when it starts (`PortfolioConfig.ready`). Without
one, nobody is a mentor and mentor-only items are visible to their owners alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

_mentees_source: Callable[[object], QuerySet] | None = None


def register_mentees_source(source: Callable[[object], QuerySet]) -> None:
    """Register source(user) -> a queryset of the ids of the engineers user mentors now."""
    global _mentees_source
    _mentees_source = source


def mentees_of(user) -> QuerySet | None:
    """The ids of engineers whose mentors-only items user may read, as a subquery."""
    if _mentees_source is None or user is None or not user.is_authenticated:
        return None
    return _mentees_source(user)


def visibility_q(user, *, owner: str = "owner", visibility: str = "visibility") -> Q:
    """The one visibility rule, as a filter: the owner sees everything, a current mentor of the
    owner sees items shared with mentors or the public, anyone else sees public items, and
    unlisted ones by their link (lists of others' work use ProjectQuerySet.listed())."""
    from .models import Visibility

    public = Q(**{f"{visibility}__in": (Visibility.PUBLIC, Visibility.UNLISTED)})
    if user is None or not user.is_authenticated:
        return public
    rule = Q(**{owner: user}) | public
    mentees = mentees_of(user)
    if mentees is not None:
        rule |= Q(**{visibility: Visibility.MENTORS, f"{owner}__in": mentees})
    return rule
