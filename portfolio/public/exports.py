"""The public portfolio as files: JSON Resume (https://jsonresume.org/schema) and Markdown.

Both are built from what a visitor sees: listed public projects and the completed milestones of
public goals of a public profile. Every metric carries its provenance (revision, run, import
file, sha256 prefix, importer, date) under the namespaced key "x-cairn".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from milestones.links import safe_link
from milestones.models import Milestone, MilestoneStatus
from milestones.quarters import Quarter
from projects.models import ExperimentImport, Project
from projects.targets import SuccessCheck, project_success, target_phrase

from ..models import Profile
from ..security.markdown import sanitize_markdown_source

SCHEMA = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"
MAX_HIGHLIGHTS = 5


@dataclass
class PublicProject:
    project: Project
    success: SuccessCheck | None
    source: ExperimentImport | None


def _public_projects(profile: Profile) -> list[PublicProject]:
    projects = list(
        Project.objects.public()
        .filter(owner=profile.user)
        .select_related("current_revision")
        .order_by("-updated_at", "-id")
    )
    checks = {
        p.pk: project_success(project=p, revision=p.current_revision)
        for p in projects
        if p.current_revision
    }
    import_ids = {c.best.import_id for c in checks.values() if c and c.best}
    imports = ExperimentImport.objects.in_bulk(import_ids)
    return [
        PublicProject(
            p,
            checks.get(p.pk),
            imports.get(checks[p.pk].best.import_id)
            if checks.get(p.pk) and checks[p.pk].best
            else None,
        )
        for p in projects
    ]


def _done_milestones(profile: Profile) -> list[Milestone]:
    return list(
        Milestone.objects.public()
        .filter(goal__owner=profile.user, status=MilestoneStatus.DONE)
        .select_related("goal")
        .order_by("-done_at", "-id")
    )


def _highlights(text: str) -> list[str]:
    """The list items (or else the first sentences) of a markdown section, as plain text."""
    items = [m.group(1).strip() for m in re.finditer(r"^\s*[-*+]\s+(.+)$", text or "", re.M)]
    if not items and text:
        items = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]
    plain = [re.sub(r"[*_`]", "", item) for item in items]
    return [item for item in plain if item][:MAX_HIGHLIGHTS]


def _metric(entry: PublicProject) -> dict | None:
    check = entry.success
    if check is None or check.best is None:
        return None
    metric = {
        "name": check.metric,
        "value": check.best.value,
        "direction": check.direction,
        "target": check.target,
        "comparison": check.comparison if check.target is not None else None,
        "met": check.met,
        "run": check.best.name,
    }
    source = entry.source
    if source is not None:
        metric["source"] = {
            "file": source.original_name,
            "sha256": source.sha256,
            "importer": f"{source.detected_format} {source.importer_version}".strip(),
            "imported": (source.finished_at or source.created_at).date().isoformat(),
        }
        from projects.provenance import live_provenance

        if logged := live_provenance(source):
            metric["source"]["logged"] = logged
    return metric


def _metric_sentence(metric: dict) -> str:
    text = f"{metric['name']} {metric['value']:.4g} on run {metric['run']}"
    if metric["target"] is not None:
        verdict = "met" if metric["met"] else "not met"
        target = target_phrase(metric["comparison"], metric["target"], digits=4)
        text += f" (target {target}: {verdict})"
    return text


def json_resume(*, profile: Profile, absolute: Callable[[str], str]) -> dict:
    """The profile as a JSON Resume document; absolute(path) makes links absolute."""
    url = absolute(reverse("public:profile", args=[profile.slug]))
    projects = []
    for entry in _public_projects(profile):
        p, revision = entry.project, entry.project.current_revision
        metric = _metric(entry)
        highlights = _highlights(revision.results if revision else "")
        if metric:
            highlights = [_metric_sentence(metric), *highlights][:MAX_HIGHLIGHTS]
        item = {
            "name": p.title,
            "description": p.summary,
            "highlights": highlights,
            "keywords": list(revision.tags) if revision else [],
            "startDate": p.created_at.date().isoformat(),
            "url": absolute(reverse("public:project", args=[profile.slug, p.slug])),
            "x-cairn": {
                "status": p.status,
                "revision": revision.number if revision else None,
                "revisionDate": revision.created_at.date().isoformat() if revision else None,
                "metrics": [metric] if metric else [],
            },
        }
        if p.status in ("deployed", "archived"):
            item["endDate"] = p.updated_at.date().isoformat()
        projects.append(item)
    milestones = _done_milestones(profile)
    return {
        "$schema": SCHEMA,
        "basics": {
            "name": profile.name,
            "label": profile.headline,
            "url": url,
            "summary": sanitize_markdown_source(profile.bio),
            "profiles": [
                {"network": _network(link), "url": link}
                for link in profile.links or []
                if isinstance(link, str)
            ],
        },
        "projects": projects,
        "skills": [{"name": tag} for tag in _skills(projects)],
        "meta": {"canonical": url, "lastModified": profile.updated_at.isoformat()},
        "x-cairn": {
            "openToWork": profile.open_to_work,
            "completedMilestones": [
                {
                    "title": m.title,
                    "goal": m.goal.title,
                    "quarter": Quarter(m.goal.year, m.goal.quarter).label,
                    "date": m.done_at.date().isoformat() if m.done_at else None,
                    "evidence": link
                    if (link := safe_link(m.evidence_url)).startswith("http")
                    else "",
                }
                for m in milestones
            ],
        },
    }


NETWORKS = {
    "github.com": "GitHub", "gitlab.com": "GitLab", "linkedin.com": "LinkedIn",
    "twitter.com": "X", "x.com": "X", "kaggle.com": "Kaggle", "huggingface.co": "Hugging Face",
    "scholar.google.com": "Google Scholar", "medium.com": "Medium",
}  # fmt: skip


def _network(link: str) -> str:
    host = re.sub(r"^https?://(www\.)?", "", link).split("/")[0].lower()
    if host in NETWORKS:
        return NETWORKS[host]
    return host.split(".")[-2].title() if host.count(".") >= 1 else host


def _skills(projects: list[dict]) -> list[str]:
    counts: dict[str, int] = {}
    for project in projects:
        for tag in project["keywords"]:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda tag: (-counts[tag], tag))


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text or "")


def markdown(*, profile: Profile, absolute: Callable[[str], str]) -> str:
    """The profile as a Markdown document, from the same data as the JSON Resume."""
    resume = json_resume(profile=profile, absolute=absolute)
    basics = resume["basics"]
    lines = [f"# {_md_escape(basics['name'])}", ""]
    if basics["label"]:
        lines += [f"*{_md_escape(basics['label'])}*", ""]
    if resume["x-cairn"]["openToWork"]:
        lines += ["**Open to work**", ""]
    lines += [f"Portfolio: {basics['url']}", ""]
    if basics["summary"]:
        lines += [basics["summary"].strip(), ""]
    if basics["profiles"]:
        lines += [f"- {p['url']}" for p in basics["profiles"]] + [""]
    if resume["skills"]:
        lines += ["Skills: " + ", ".join(_md_escape(s["name"]) for s in resume["skills"]), ""]
    lines += ["## Projects", ""]
    if not resume["projects"]:
        lines += ["No published projects yet.", ""]
    for p in resume["projects"]:
        cairn = p["x-cairn"]
        lines += [f"### [{_md_escape(p['name'])}]({p['url']})", ""]
        if p["description"]:
            lines += [_md_escape(p["description"]), ""]
        lines += [
            f"Status: {cairn['status']} · revision {cairn['revision']} of {cairn['revisionDate']}"
        ]
        if p["keywords"]:
            lines += ["Keywords: " + ", ".join(_md_escape(k) for k in p["keywords"])]
        lines += [""]
        lines += [f"- {_md_escape(h)}" for h in p["highlights"]]
        for metric in cairn["metrics"]:
            source = metric.get("source")
            if source and source.get("logged"):
                lines += [
                    f"- Source of {_md_escape(metric['name'])}: {_md_escape(source['logged'])}"
                ]
            elif source:
                lines += [
                    f"- Source of {_md_escape(metric['name'])}: {_md_escape(source['file'])} "
                    f"(sha256 {source['sha256'][:12]}, {source['importer']}, "
                    f"imported {source['imported']})"
                ]
        lines += [""]
    done = resume["x-cairn"]["completedMilestones"]
    if done:
        lines += ["## Completed milestones", ""]
        for m in done:
            evidence = f" ([evidence]({m['evidence']}))" if m["evidence"] else ""
            lines += [f"- {m['quarter']} · {_md_escape(m['title'])}, {m['date']}{evidence}"]
        lines += [""]
    return "\n".join(lines)
