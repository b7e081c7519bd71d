from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from milestones.links import safe_link
from milestones.models import MilestoneStatus

register = template.Library()


def _options(selected: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == selected else "", label)
            for value, label in MilestoneStatus.choices
        ),
    )


# The status <select> of every row on the plan page: built once per status, not per row.
_STATUS_OPTIONS = {value: _options(value) for value in MilestoneStatus.values}


@register.filter
def status_options(status: str) -> SafeString:
    """The <option> list of the status select with the milestone's status selected."""
    return _STATUS_OPTIONS.get(status) or _options(status)


@register.filter
def evidence_link(url: str) -> str:
    """An evidence link fit for href: http(s) or a path on this site, else "" (no link)."""
    return safe_link(url)
