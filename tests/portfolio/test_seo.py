"""What search engines read: the sitemap lists listed public work only, robots.txt points to
it, and the JSON-LD names the right person and projects."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from portfolio.public.seo import jsonld_script, profile_jsonld, project_jsonld
from tests.factories import create_project, save_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(alice, bob):
    alice.profile.is_public = True
    alice.profile.display_name = "Alice Liddell"
    alice.profile.headline = "ML engineer"
    alice.profile.links = ["https://github.com/alice"]
    alice.profile.save()
    return {
        "public": create_project(owner=alice, title="Churn model", visibility="public"),
        "unlisted": create_project(owner=alice, title="Link only", visibility="unlisted"),
        "mentors": create_project(owner=alice, title="Mentors only", visibility="mentors"),
        "private": create_project(owner=alice, title="Private one", visibility="private"),
        # bob's profile is private: his public project is in no index.
        "bobs": create_project(owner=bob, title="Bob public", visibility="public"),
    }


def test_the_sitemap_lists_public_profiles_and_their_listed_public_projects(client, published):
    response = client.get(reverse("sitemap"))

    assert response.status_code == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", response.text)
    assert locations == [
        "http://testserver/u/alice/",
        f"http://testserver/u/alice/{published['public'].slug}/",
    ]


def test_the_sitemap_follows_unpublishing(client, published, alice):
    alice.profile.is_public = False
    alice.profile.save()

    assert "<loc>" not in client.get(reverse("sitemap")).text


def test_robots_txt_keeps_crawlers_to_public_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /people/" in response.text
    assert "Disallow: /projects/" in response.text
    assert "Allow: /u/" in response.text
    assert "Sitemap: http://testserver/sitemap.xml" in response.text


def _parse(element: str) -> dict:
    match = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', element, re.S)
    assert match, element
    return json.loads(match.group(1))


def test_the_profile_json_ld_names_the_person_and_their_public_projects(alice, published):
    data = _parse(
        jsonld_script(
            profile_jsonld(
                profile=alice.profile,
                projects=[published["public"], published["unlisted"]],
                absolute=lambda path: f"https://cairn.example.com{path}",
                skills=["pytorch"],
            )
        )
    )

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ProfilePage"
    person = data["mainEntity"]
    assert person["@type"] == "Person"
    assert person["name"] == "Alice Liddell"
    assert person["url"] == "https://cairn.example.com/u/alice/"
    assert person["sameAs"] == ["https://github.com/alice"]
    assert person["knowsAbout"] == ["pytorch"]
    assert [w["name"] for w in person["subjectOf"]] == ["Churn model"]


def test_a_project_with_a_repository_is_source_code_and_an_unlisted_one_has_no_data(
    alice, published
):
    project = published["public"]
    save_revision(project, repo_url="https://github.com/alice/churn", tags=["pytorch", "churn"])
    project.refresh_from_db()
    absolute = lambda path: f"https://cairn.example.com{path}"  # noqa: E731

    data = _parse(
        jsonld_script(project_jsonld(profile=alice.profile, project=project, absolute=absolute))
    )

    assert data["@type"] == "SoftwareSourceCode"
    assert data["codeRepository"] == "https://github.com/alice/churn"
    assert data["author"]["name"] == "Alice Liddell"
    assert data["version"] == "2"
    assert (
        project_jsonld(profile=alice.profile, project=published["unlisted"], absolute=absolute)
        is None
    )
    assert jsonld_script(None) == ""


def test_json_ld_cannot_close_its_script_element(alice, published):
    alice.profile.headline = "</script><script>alert(1)</script>"
    alice.profile.save()

    element = jsonld_script(
        profile_jsonld(profile=alice.profile, projects=[], absolute=lambda path: path)
    )

    assert element.count("</script>") == 1
    assert _parse(element)["mainEntity"]["description"] == alice.profile.headline


def test_the_health_check_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.text == "ok"
