"""A project record as Markdown and as JSON, from its current revision."""

from __future__ import annotations

from .models import Project, ProjectRevision
from .sections import LINK_FIELDS, SECTIONS
from .targets import comparison_for, target_phrase


def project_markdown(*, project: Project, revision: ProjectRevision) -> str:
    """The record as one Markdown document, with its revision and dates."""
    lines = [
        f"# {revision.title}",
        "",
        f"_{revision.summary}_" if revision.summary else "",
        "",
        f"- Status: {revision.get_status_display()}",
        f"- Revision: {revision.number} ({revision.created_at:%Y-%m-%d %H:%M} UTC)",
        f"- Created: {project.created_at:%Y-%m-%d}",
    ]
    if revision.tags:
        lines.append(f"- Skills: {', '.join(revision.tags)}")
    if revision.success_metric:
        target = ""
        if revision.success_target is not None:
            comparison = comparison_for(revision.success_direction)
            target = f", target {target_phrase(comparison, revision.success_target)}"
        lines.append(
            f"- Success metric: {revision.success_metric}{target} "
            f"({revision.get_success_direction_display().lower()})"
        )
    for field, label in LINK_FIELDS:
        if getattr(revision, field):
            lines.append(f"- {label}: {getattr(revision, field)}")
    for section in SECTIONS:
        text = getattr(revision, section.key).strip()
        if text:
            lines += ["", f"## {section.title}", "", text]
    return "\n".join(lines).replace("\n\n\n", "\n\n").strip() + "\n"


def project_json(*, project: Project, revision: ProjectRevision, history) -> dict:
    """The record as a JSON-ready dict: content, revision number, timestamps, history."""
    return {
        "title": revision.title,
        "slug": project.slug,
        "summary": revision.summary,
        "status": revision.status,
        "visibility": project.visibility,
        "tags": revision.tags,
        "created_at": project.created_at.isoformat(),
        "updated_at": revision.created_at.isoformat(),
        "revision": {
            "number": revision.number,
            "created_at": revision.created_at.isoformat(),
            "author": revision.author.get_username() if revision.author else None,
            "change_note": revision.change_note,
        },
        "sections": {s.key: getattr(revision, s.key) for s in SECTIONS},
        "success": {
            "metric": revision.success_metric,
            "target": revision.success_target,
            "direction": revision.success_direction,
        },
        "links": {field: getattr(revision, field) for field, _ in LINK_FIELDS},
        "history": [
            {
                "number": r.number,
                "created_at": r.created_at.isoformat(),
                "change_note": r.change_note,
                "changed": r.changed,
            }
            for r in history
        ],
    }
