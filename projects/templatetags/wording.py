"""{{ n|plural:"run" }} → "1 run", "2,400 runs": projects/wording.py's rule in templates."""

from __future__ import annotations

from django import template

from projects import wording

register = template.Library()


@register.filter
def plural(n, word: str) -> str:
    """A count and its noun: `word` is "run", or "entry,entries" for an irregular plural."""
    one, _, many = str(word).partition(",")
    try:
        count = int(n)
    except (TypeError, ValueError):
        return ""
    return wording.plural(count, one, many or None)
