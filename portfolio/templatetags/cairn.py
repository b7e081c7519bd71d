from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from portfolio.security.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    # render_markdown sanitizes with nh3, so its output is safe to mark as such.
    return mark_safe(render_markdown(text))  # noqa: S308


@register.filter
def comparison_sign(comparison: str) -> str:
    """A target's comparison as people read it: ">=" → "≥" (projects.targets.comparison_sign)."""
    from projects.targets import comparison_sign as sign

    return sign(comparison)


@register.filter
def get_item(mapping: dict, key: str):
    """mapping[key] in a template, or None when it is missing."""
    return mapping.get(key) if mapping else None


@register.filter
def jsonld(data: dict | None) -> SafeString:
    """A schema.org object as a <script type="application/ld+json"> element, safely escaped."""
    from portfolio.public.seo import jsonld_script

    return jsonld_script(data)


@register.filter
def read_with(choices: dict | None) -> str:
    """How an import's file was read, from its saved choices ("" when Cairn decided alone)."""
    from projects.import_choices import describe

    return describe(choices)


@register.filter
def logged_live(experiment_import) -> str:
    """For a run logged through the MLflow API: who logged it, from where, with which token and
    when ("" for an import of files; projects.provenance)."""
    from projects.provenance import live_provenance

    return live_provenance(experiment_import)
