"""Markdown for user-written text: rendered, then sanitized so that nothing active survives."""

from __future__ import annotations

import re

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to put in a page: no scripts, styles, handlers or frames."""
    if not text:
        return ""
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


_SAFE_TARGET = r"(?:https?://|mailto:|/(?![/\\])|#)"
_INLINE_LINK = re.compile(
    r"\]\(\s*<?(?!" + _SAFE_TARGET + r")(?:[^()]|\([^()]*\))*\)", re.IGNORECASE
)
_REFERENCE = re.compile(r"^( {0,3}\[[^\]]+\]:)\s*<?(?!" + _SAFE_TARGET + r")\S+.*$", re.I | re.M)


def sanitize_markdown_source(text: str) -> str:
    """User Markdown kept as Markdown for exports (portfolio.md, JSON Resume), with what the
    pages would drop taken out: raw HTML (tags removed, a stray "<" escaped) and link targets
    other than http(s), mailto or a path on this site."""
    if not text:
        return ""
    without_html = nh3.clean(text, tags=set(), attributes={}, strip_comments=True)
    # Only "<" can start markup: ">" (block quotes) and "&" read as Markdown again.
    without_html = without_html.replace("&gt;", ">").replace("&amp;", "&")
    without_links = _INLINE_LINK.sub("](#)", without_html)
    return _REFERENCE.sub(r"\1 #", without_links)
