"""What search engines and link previews read of public pages: sitemaps, robots.txt and
schema.org JSON-LD. Only listed public work appears here: unlisted projects are reachable by
their link alone, so they are in no sitemap and carry no structured data."""

from __future__ import annotations

import json

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from projects.models import Project, Visibility

from ..models import Profile

# JSON inside <script> must not close the element or open a comment: the same escapes as
# django.utils.html.json_script.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def listed_projects() -> QuerySet[Project]:
    """Public projects of public profiles: what an index may list."""
    return (
        Project.objects.public()
        .filter(owner__profile__in=Profile.objects.public())
        .select_related("owner__profile")
    )


class ProfileSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Profile.objects.public().order_by("slug")

    def location(self, item: Profile) -> str:
        return reverse("public:profile", args=[item.slug])

    def lastmod(self, item: Profile):
        return item.updated_at


class ProjectSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return listed_projects().order_by("owner__profile__slug", "slug")

    def location(self, item: Project) -> str:
        return reverse("public:project", args=[item.owner.profile.slug, item.slug])

    def lastmod(self, item: Project):
        return item.updated_at


SITEMAPS = {"profiles": ProfileSitemap, "projects": ProjectSitemap}

# Pages for signed-in people, and the API, are of no use to a search engine.
ROBOTS_DISALLOW = (
    "/accounts/", "/settings/", "/plan/", "/projects/", "/people/", "/mentoring/",
    "/feedback/", "/notifications/", "/api/", "/admin/",
)  # fmt: skip


def robots_txt(*, sitemap_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /u/"]
    return "\n".join([*lines, "", f"Sitemap: {sitemap_url}", ""])


def _person(profile: Profile, url: str, skills: list[str]) -> dict:
    person = {"@type": "Person", "name": profile.name, "url": url}
    if profile.headline:
        person["description"] = profile.headline
    links = [link for link in profile.links or [] if isinstance(link, str)]
    if links:
        person["sameAs"] = links
    if skills:
        person["knowsAbout"] = skills
    return person


def _work(project: Project, url: str, author: dict) -> dict:
    revision = project.current_revision
    repo = revision.repo_url if revision else ""
    work = {
        "@type": "SoftwareSourceCode" if repo else "CreativeWork",
        "name": project.title,
        "url": url,
        "author": author,
        "dateCreated": project.created_at.date().isoformat(),
        "dateModified": project.updated_at.date().isoformat(),
    }
    if project.summary:
        work["description"] = project.summary
    if repo:
        work["codeRepository"] = repo
    tags = list(revision.tags) if revision else []
    if tags:
        work["keywords"] = ", ".join(tags)
    if revision:
        work["version"] = str(revision.number)
    return work


def profile_jsonld(
    *, profile: Profile, projects: list[Project], absolute, skills: list[str] = ()
) -> dict:
    """schema.org ProfilePage whose main entity is the engineer, with their listed projects.

    absolute(path) turns a path into a full URL (request.build_absolute_uri)."""
    url = absolute(reverse("public:profile", args=[profile.slug]))
    person = _person(profile, url, list(skills))
    brief = {"@type": "Person", "name": profile.name, "url": url}
    person["subjectOf"] = [
        _work(p, absolute(reverse("public:project", args=[profile.slug, p.slug])), brief)
        for p in projects
        if p.visibility == Visibility.PUBLIC
    ]
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "url": url,
        "dateModified": profile.updated_at.isoformat(),
        "mainEntity": person,
    }


def project_jsonld(*, profile: Profile, project: Project, absolute) -> dict | None:
    """schema.org CreativeWork (SoftwareSourceCode with a repository) for a public project;
    None for an unlisted one, which carries no structured data."""
    if project.visibility != Visibility.PUBLIC:
        return None
    author = {
        "@type": "Person",
        "name": profile.name,
        "url": absolute(reverse("public:profile", args=[profile.slug])),
    }
    url = absolute(reverse("public:project", args=[profile.slug, project.slug]))
    return {"@context": "https://schema.org", **_work(project, url, author)}


def jsonld_script(data: dict | None) -> SafeString:
    """The <script type="application/ld+json"> element for data ("" for None). Browsers do not
    run this type, so the Content Security Policy has nothing to allow."""
    if not data:
        return SafeString("")
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(payload))


def page_meta(
    *,
    title: str,
    description: str,
    url: str,
    type: str = "profile",
    noindex: bool = False,
    jsonld: dict | None = None,
    image: str = "",
) -> dict:
    """The context of templates/portfolio/public/_meta.html; description cut for previews."""
    description = " ".join((description or "").split())
    if len(description) > 200:
        description = description[:199].rstrip() + "…"
    return {
        "title": title,
        "description": description,
        "url": url,
        "type": type,
        "noindex": noindex,
        "jsonld": None if noindex else jsonld,
        "image": image,
    }
