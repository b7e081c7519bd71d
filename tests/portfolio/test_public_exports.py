"""The public portfolio as JSON Resume and Markdown: what a visitor may see, with provenance."""

from __future__ import annotations

import pytest
from django.urls import reverse

from milestones.services import milestone_set_status
from tests.factories import (
    GoalFactory,
    MilestoneFactory,
    create_project,
    import_results,
    long_csv,
    save_revision,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(alice):
    profile = alice.profile
    profile.is_public = True
    profile.display_name = "Alice Liddell"
    profile.headline = "ML engineer"
    profile.links = ["https://github.com/alice"]
    profile.open_to_work = True
    profile.save()
    churn = create_project(
        owner=alice,
        title="Churn model",
        visibility="public",
        summary="Who leaves next month.",
        tags=["pytorch", "churn"],
        results="- AUC 0.82 on the held-out month\n- Ships behind a flag",
    )
    imp = import_results(churn, ("auc.csv", long_csv({("baseline", "val/auc"): [0.7, 0.82]})))
    save_revision(churn, success_metric="val/auc", success_target=0.8, change_note="Target")
    create_project(owner=alice, title="Hidden draft", visibility="private", tags=["secret-tag"])
    create_project(owner=alice, title="For mentors", visibility="mentors")
    create_project(owner=alice, title="Link only", visibility="unlisted")
    goal = GoalFactory(owner=alice, title="Ship churn", visibility="public", year=2026, quarter=4)
    done = MilestoneFactory(goal=goal, title="Deploy behind a flag")
    milestone_set_status(milestone=done, status="done", evidence_url="https://example.com/pr/1")
    secret = MilestoneFactory(
        goal=GoalFactory(owner=alice, title="Secret goal", visibility="private"),
        title="Secret milestone",
    )
    milestone_set_status(milestone=secret, status="done")
    return {"churn": churn, "import": imp}


def test_the_json_resume_has_the_basics_and_only_listed_public_projects(client, portfolio):
    response = client.get(reverse("public:resume-json", args=["alice"]))

    assert response.status_code == 200
    data = response.json()
    assert data["basics"]["name"] == "Alice Liddell"
    assert data["basics"]["label"] == "ML engineer"
    assert data["basics"]["url"] == "http://testserver/u/alice/"
    assert data["basics"]["profiles"] == [{"network": "GitHub", "url": "https://github.com/alice"}]
    assert [p["name"] for p in data["projects"]] == ["Churn model"]
    assert data["x-cairn"]["openToWork"] is True
    assert [m["title"] for m in data["x-cairn"]["completedMilestones"]] == ["Deploy behind a flag"]
    assert "secret" not in response.text.lower()


def test_each_project_cites_its_metric_revision_and_source_file(client, portfolio):
    project = client.get(reverse("public:resume-json", args=["alice"])).json()["projects"][0]

    assert project["url"] == f"http://testserver/u/alice/{portfolio['churn'].slug}/"
    assert project["keywords"] == ["pytorch", "churn"]
    assert project["highlights"][0] == "val/auc 0.82 on run baseline (target ≥ 0.8: met)"
    assert "AUC 0.82 on the held-out month" in project["highlights"]
    cairn = project["x-cairn"]
    assert cairn["revision"] == 2
    [metric] = cairn["metrics"]
    assert metric["value"] == pytest.approx(0.82)
    assert metric["met"] is True
    assert metric["source"]["file"] == "auc.csv"
    assert metric["source"]["sha256"] == portfolio["import"].sha256
    assert metric["source"]["importer"].startswith("long_csv")


def test_the_markdown_export_reads_as_a_portfolio(client, portfolio):
    response = client.get(reverse("public:markdown", args=["alice"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# Alice Liddell\n")
    assert f"### [Churn model](http://testserver/u/alice/{portfolio['churn'].slug}/)" in text
    assert f"auc.csv (sha256 {portfolio['import'].sha256[:12]}" in text
    assert "Q4 2026 · Deploy behind a flag" in text
    for hidden in ("Hidden draft", "For mentors", "Link only", "Secret milestone", "secret-tag"):
        assert hidden not in text


@pytest.mark.parametrize("name", ["public:resume-json", "public:markdown"])
def test_a_private_profile_exports_nothing_but_to_its_owner(client, alice, bob, name):
    url = reverse(name, args=["alice"])

    assert client.get(url).status_code == 404
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 200
    assert client.get(reverse(name, args=["nobody-here"])).status_code == 404


HOSTILE_BIO = (
    "I build **ranking models** & tools.\n\n"
    '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>\n\n'
    "[blog](https://alice.example) [trap](javascript:alert(4)) [off](//evil.example)\n\n"
    "[ref]: javascript:alert(5)\n\n"
    "> quoted"
)


@pytest.mark.parametrize("name", ["public:markdown", "public:resume-json"])
def test_the_exports_carry_no_raw_html_or_script_links_from_the_bio(client, alice, portfolio, name):
    alice.profile.bio = HOSTILE_BIO
    alice.profile.save()

    text = client.get(reverse(name, args=["alice"])).content.decode()

    for active in ("<script", "<img", "onerror", "javascript:", "<a ", "evil.example"):
        assert active not in text
    # What the bio says is still there, as Markdown.
    assert "I build **ranking models** & tools." in text
    assert "[blog](https://alice.example)" in text
    if name == "public:markdown":
        assert "\n> quoted" in text
