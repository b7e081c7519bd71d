from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.urls import reverse

from portfolio.security.markdown import render_markdown

# Each payload tries to get something active into the page through a bio.
PAYLOADS = {
    "script-tag": "<script>alert(1)</script>",
    "script-upper-src": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script-split": "<scr<script>ipt>alert(1)</script>",
    "script-nested": "<<script>script>alert(1)<</script>/script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-unclosed": "<img src=x onerror=alert(1)//",
    "body-onload": "<body onload=alert(1)>",
    "a-onmouseover": '<a href="https://example.com" onmouseover="alert(1)">x</a>',
    "a-onclick-unquoted": "<a href='x' title=\"a\" onclick=alert(1)>x</a>",
    "a-quote-break": '<a title=""onclick="alert(1)" href="https://e.com">x</a>',
    "details-ontoggle": "<details open ontoggle=alert(1)>",
    "video-source-onerror": "<video><source onerror=alert(1)></video>",
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-entity": '<a href="&#x6A;avascript:alert(1)">x</a>',
    "a-javascript-space": '<a href="  javascript:alert(1)">x</a>',
    "a-javascript-tab": '<a href="java\tscript:alert(1)">x</a>',
    "a-javascript-newline": '<a href="java\nscript:alert(1)">x</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "a-data": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "md-link-javascript": "[x](javascript:alert(1))",
    "md-link-mixed-case": "[x](JaVaScRiPt:alert(1))",
    "md-link-entities": "[x](" + "".join(f"&#{ord(c)};" for c in "javascript:") + "alert(1))",
    "md-link-partial-entity": "[x](java&#115;cript:alert(1))",
    "md-link-data": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-reference-javascript": "[x]: javascript:alert(1)\n\n[link][x]",
    "md-autolink-javascript": "<javascript:alert(1)>",
    "md-title-quote-break": '[x](https://example.com "t\\" onclick=\\"alert(1)")',
    "md-image-javascript": "![x](javascript:alert(1))",
    "md-image-data": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "md-image-quote-break": '![x](x" onerror="alert(1))',
    "md-inside-html-block": '<div markdown="1">[x](javascript:alert(1))</div>',
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "style-tag": "<style>body{background:url(javascript:alert(1))}</style>",
    "style-attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "link-stylesheet": "<link rel=stylesheet href=javascript:alert(1)>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": '<base href="javascript:alert(1)//">',
    "form-action": "<form action=javascript:alert(1)><button>x</button></form>",
    "input-autofocus": "<input autofocus onfocus=alert(1)>",
    "comment-script": "<!-- <script>alert(1)</script> -->",
    "entity-escaped-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "code-span": "`<script>alert(1)</script>`",
    "fenced-code": "```\n<script>alert(1)</script>\n```",
    "table-cell": "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
}

ALLOWED_SCHEMES = {"http", "https", "mailto"}
FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "style", "svg", "math", "img", "link", "meta", "base",
    "form", "input", "button", "textarea", "select", "video", "audio", "source", "body", "details",
    "frame", "frameset", "template",
}  # fmt: skip
TAG = re.compile(r"<(?:\"[^\"]*\"|'[^']*'|[^'\">])*>")
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"}


class _Tags(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str | None:
    # As a browser reads a URL: trim C0 controls and spaces, drop tabs and newlines.
    url = url.strip("".join(chr(c) for c in range(0x21))).replace("\t", "").replace("\n", "")
    url = url.replace("\r", "")
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else None


def assert_inert(html: str) -> None:
    """Nothing in html can run a script, load a frame or restyle the page."""
    lowered = html.lower()
    assert "<script" not in lowered
    for tag in ("iframe", "object", "embed", "style", "svg", "math"):
        assert f"<{tag}" not in lowered
    # Handler attributes inside a tag, not counting quoted values: text outside tags cannot
    # start one (its < is escaped) and " onclick=" inside a title is only words.
    for tag in TAG.findall(lowered):
        assert not re.search(r"\son[a-z]+\s*=", QUOTED.sub('""', tag)), (tag, html)
    assert "javascript:" not in "".join(re.findall(r'(?:href|src|action)="([^"]*)"', lowered))

    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag not in FORBIDDEN_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name != "style", html
            if name in URL_ATTRIBUTES and value:
                assert _scheme(value) in ALLOWED_SCHEMES | {None}, (value, html)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_it_renders_nothing_active_from_a_hostile_bio(payload):
    assert_inert(render_markdown(payload))


@pytest.mark.parametrize(
    "active",
    [
        "<script>alert(1)</script>",
        '<p title="a" onclick="alert(1)">x</p>',
        "<p onclick=alert(1)>x</p>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<iframe></iframe>",
        "<img src=x>",
        '<p style="color:red">x</p>',
        "<svg></svg>",
    ],
)
def test_the_checker_itself_catches_active_html(active):
    with pytest.raises(AssertionError):
        assert_inert(active)


def test_it_covers_at_least_twenty_payloads():
    assert len(PAYLOADS) >= 20


def test_it_keeps_a_scripts_text_harmless_inside_code():
    html = render_markdown("`<script>alert(1)</script>`")

    assert html == "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"


def test_it_drops_the_href_of_a_javascript_link_but_keeps_its_text():
    html = render_markdown("[click me](javascript:alert(1))")

    assert "click me" in html
    assert "href" not in html


def test_it_renders_bold_and_italics():
    html = render_markdown("**bold** and _italic_")

    assert html == "<p><strong>bold</strong> and <em>italic</em></p>"


def test_it_renders_lists():
    html = render_markdown("- one\n- two\n\n1. first\n2. second")

    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in html


def test_it_renders_links_that_cannot_pass_on_rank_or_the_opener():
    html = render_markdown('[my blog](https://alice.dev "Alice writes")')

    assert html == (
        '<p><a href="https://alice.dev" title="Alice writes" '
        'rel="nofollow noopener noreferrer">my blog</a></p>'
    )


def test_it_replaces_a_rel_the_author_wrote():
    html = render_markdown('<a href="https://alice.dev" rel="me" target="_blank">me</a>')

    assert 'rel="nofollow noopener noreferrer"' in html
    assert 'rel="me"' not in html
    assert "target" not in html


def test_it_keeps_mailto_links():
    html = render_markdown("[write](mailto:alice@example.com)")

    assert 'href="mailto:alice@example.com"' in html


def test_it_renders_headings_code_blocks_quotes_and_tables():
    html = render_markdown(
        "## Work\n\n> quoted\n\n```\nx = 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )

    assert "<h2>Work</h2>" in html
    assert "<blockquote>" in html
    assert "<pre><code>x = 1\n</code></pre>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html


def test_it_renders_nothing_for_an_empty_bio():
    assert render_markdown("") == ""


def test_the_template_filter_renders_sanitized_html_unescaped():
    template = Template("{% load cairn %}{{ bio|markdown }}")

    html = template.render(Context({"bio": "**hi** <script>alert(1)</script>"}))

    assert html == "<p><strong>hi</strong> </p>"


# --- The bio preview endpoint -----------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_bio_preview_renders_nothing_active(alice_client, htmx_headers, payload):
    response = alice_client.post(
        reverse("profile-bio-preview"), {"bio": payload}, headers=htmx_headers
    )

    assert response.status_code == 200
    assert 'id="bio-preview"' in response.text
    assert_inert(response.text)


def test_the_bio_preview_renders_markdown(alice_client, htmx_headers):
    response = alice_client.post(
        reverse("profile-bio-preview"),
        {"bio": "**bold**\n\n- item\n\n[blog](https://alice.dev)"},
        headers=htmx_headers,
    )

    assert "<strong>bold</strong>" in response.text
    assert "<li>item</li>" in response.text
    assert 'href="https://alice.dev" rel="nofollow noopener noreferrer"' in response.text


def test_a_saved_hostile_bio_renders_nothing_active_on_the_profile_page(alice, alice_client):
    profile = alice.profile
    profile.bio = "\n\n".join(PAYLOADS.values())
    profile.save()

    response = alice_client.get(reverse("profile"))

    preview = response.text.split('id="bio-preview"', 1)[1].split("</div>", 1)[0]
    assert_inert("<div " + preview)
