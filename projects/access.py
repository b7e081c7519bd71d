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


def is_mentor_of(user, owner_id: int) -> bool:
    """Whether user mentors the engineer owner_id now (by the registered source)."""
    mentees = mentees_of(user)
    if mentees is None:
        return False
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=owner_id, pk__in=mentees).exists()


def _levels():
    from .models import Visibility

    # Who reads what, once: anyone reads public items (and unlisted ones by their link); a
    # current mentor of the owner reads those and the ones shared with mentors.
    anyone = (Visibility.PUBLIC, Visibility.UNLISTED)
    return anyone, (Visibility.MENTORS, *anyone)


def shared_with_mentors(visibility: str) -> bool:
    """Whether an item of this visibility is read by the owner's current mentors."""
    return visibility in _levels()[1]


def public_q(*, visibility: str = "visibility") -> Q:
    """Items anyone may read: public, and unlisted by their link."""
    return Q(**{f"{visibility}__in": _levels()[0]})


def mentors_q(*, visibility: str = "visibility") -> Q:
    """Items the owner's current mentors may read: shared with mentors, unlisted or public."""
    return Q(**{f"{visibility}__in": _levels()[1]})


def visibility_q(user, *, owner: str = "owner", visibility: str = "visibility") -> Q:
    """The one visibility rule, as a filter: the owner sees everything, a current mentor of the
    owner sees items shared with mentors or the public, anyone else sees public items, and
    unlisted ones by their link (lists of others' work use ProjectQuerySet.listed())."""
    public = public_q(visibility=visibility)
    if user is None or not user.is_authenticated:
        return public
    rule = Q(**{owner: user}) | public
    mentees = mentees_of(user)
    if mentees is not None:
        rule |= Q(**{f"{owner}__in": mentees}) & mentors_q(visibility=visibility)
    return rule
