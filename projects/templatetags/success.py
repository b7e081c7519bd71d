"""{% success_check project revision %}: the record's success metric against the best run."""

from __future__ import annotations

from django import template

from projects.targets import project_success

register = template.Library()


@register.inclusion_tag("projects/_success.html")
def success_check(project, revision, show_best: bool = True) -> dict:
    return {
        "project": project,
        "revision": revision,
        "check": project_success(project=project, revision=revision) if show_best else None,
    }
