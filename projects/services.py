"""Writes to project records. Every content change is a new immutable revision."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .metrics import DIRECTIONS, direction_and_reason
from .models import Project, ProjectRevision, Skill
from .sections import CONTENT_FIELDS, SECTIONS

MAX_SKILLS = 12


@dataclass
class EditConflict(Exception):
    """The record moved on since the editor loaded it: saving would overwrite someone's work."""

    current: ProjectRevision
    base_number: int


def normalise_tags(tags: list[str] | str) -> list[str]:
    """Lower-case, trimmed, unique tags in the order given."""
    if isinstance(tags, str):
        tags = tags.split(",")
    seen: list[str] = []
    for tag in tags:
        tag = " ".join(tag.strip().lower().split())[:40]
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def template_content() -> dict[str, str]:
    """The guiding prompts a new record starts with when the user picks the template."""
    return {s.key: s.prompt for s in SECTIONS}


def _unique_slug(owner: AbstractBaseUser, title: str) -> str:
    stem = slugify(title)[:50].strip("-") or "project"
    slug, n = stem, 1
    while Project.objects.filter(owner=owner, slug=slug).exists():
        n += 1
        slug = f"{stem}-{n}"
    return slug


def _changed_fields(old: dict, new: dict) -> list[str]:
    return [f for f in CONTENT_FIELDS if (old.get(f) or None) != (new.get(f) or None)]


def _write_revision(
    *,
    project: Project,
    author: AbstractBaseUser,
    content: dict,
    number: int,
    changed: list[str],
    change_note: str,
    restored_from: int | None = None,
) -> ProjectRevision:
    revision = ProjectRevision(
        project=project,
        number=number,
        author=author,
        change_note=change_note,
        changed=changed,
        restored_from=restored_from,
        **content,
    )
    revision.full_clean(exclude=["project", "author"])
    revision.save()
    project.current_revision = revision
    project.title = revision.title
    project.summary = revision.summary
    project.status = revision.status
    project.save()
    project.skills.set([Skill.objects.get_or_create(name=tag)[0] for tag in revision.tags])
    return revision


def _content(data: dict, base: dict | None = None) -> dict:
    """A complete content dict: data over base, tags normalised, nothing extra."""
    merged = {**(base or {}), **{k: v for k, v in data.items() if k in CONTENT_FIELDS}}
    merged["tags"] = normalise_tags(merged.get("tags") or [])
    for field in CONTENT_FIELDS:
        if merged.get(field) is None and field not in ("success_target",):
            merged[field] = "" if field != "tags" else []
    merged["success_direction"] = merged.get("success_direction") or "higher"
    merged["status"] = merged.get("status") or "idea"
    return merged


@transaction.atomic
def project_create(
    *,
    owner: AbstractBaseUser,
    content: dict,
    visibility: str = "private",
    change_note: str = "",
) -> Project:
    """Create a project with its first revision."""
    project = Project(
        owner=owner,
        slug=_unique_slug(owner, content.get("title", "")),
        visibility=visibility,
        title=content.get("title", ""),
    )
    project.full_clean(exclude=["current_revision"])
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:  # two creates raced for the same slug
        project.slug = f"{project.slug}-{Project.objects.filter(owner=owner).count() + 1}"
        project.save()
    content = _content(content)
    _write_revision(
        project=project,
        author=owner,
        content=content,
        number=1,
        changed=[
            f
            for f in CONTENT_FIELDS
            if content.get(f) not in (None, "", [])
            and (f != "success_direction" or content.get("success_metric"))
        ],
        change_note=change_note or "Created",
    )
    return project


@transaction.atomic
def project_save(
    *,
    project: Project,
    author: AbstractBaseUser,
    base_number: int,
    content: dict,
    change_note: str = "",
    restored_from: int | None = None,
) -> ProjectRevision | None:
    """Save an edit as a new revision; None when nothing changed.

    base_number is the revision the editor started from: when the record has moved on since,
    EditConflict is raised and nothing is written.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    current = ProjectRevision.objects.get(pk=locked.current_revision_id)
    if current.number != base_number:
        raise EditConflict(current=current, base_number=base_number)
    old = current.content()
    new = _content(content, base=old)
    changed = _changed_fields(old, new)
    if not changed:
        return None
    revision = _write_revision(
        project=locked,
        author=author,
        content=new,
        number=current.number + 1,
        changed=changed,
        change_note=change_note,
        restored_from=restored_from,
    )
    project.refresh_from_db()
    return revision


def revision_restore(
    *, project: Project, revision: ProjectRevision, author: AbstractBaseUser
) -> ProjectRevision | None:
    """Make an old revision's content current again, as a new revision."""
    return project_save(
        project=project,
        author=author,
        base_number=project.current_revision.number,
        content=revision.content(),
        change_note=f"Restored revision {revision.number}",
        restored_from=revision.number,
    )


def project_set_visibility(*, project: Project, visibility: str) -> Project:
    """Change who may see the project; access is not content, so no revision is made."""
    project.visibility = visibility
    project.full_clean(exclude=["current_revision"])
    project.save(update_fields=["visibility", "updated_at"])
    return project


@dataclass
class ProjectEdit:
    """What an edit changed: the new revision (None when the content did not change) and
    whether the visibility did."""

    revision: ProjectRevision | None
    visibility_changed: bool


def project_edit(
    *,
    project: Project,
    author: AbstractBaseUser,
    base_number: int,
    content: dict,
    visibility: str,
    change_note: str = "",
) -> ProjectEdit:
    """Save the edit page: who may see the project and its content, in one transaction.

    The visibility goes first, so that mentors hear of the new revision (or not) under the
    visibility it was saved with; an EditConflict or a refused field writes nothing at all.
    """
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        visibility_changed = visibility != locked.visibility
        if visibility_changed:
            project_set_visibility(project=locked, visibility=visibility)
        revision = project_save(
            project=locked,
            author=author,
            base_number=base_number,
            content=content,
            change_note=change_note,
        )
    project.refresh_from_db()
    return ProjectEdit(revision=revision, visibility_changed=visibility_changed)


def project_delete(*, project: Project) -> None:
    """Delete a project with all its revisions."""
    project.delete()


def metric_direction_set(*, project: Project, metric: str, direction: str) -> None:
    """Record the owner's direction for a metric ("" goes back to the record's or the name's)."""
    chosen = dict(project.metric_directions or {})
    # What applies without the owner's word: the record's success direction or the name's.
    default, _ = direction_and_reason(metric, revision=project.current_revision)
    if direction in DIRECTIONS and direction != default:
        chosen[metric] = direction
    else:
        chosen.pop(metric, None)
    project.metric_directions = chosen
    project.save(update_fields=["metric_directions", "updated_at"])
