"""Project records: the owner's pages to write, version and compare them; the exports and a
mentor's way in (by reader key, read-only) go through the visibility rule."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, people, selectors, services
from .diff import diff_revisions
from .exports import project_json, project_markdown
from .forms import ProjectFilterForm, ProjectForm
from .importers import FORMATS
from .sections import FIELD_LABELS, GROUPS, SECTIONS, sections_in_group


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    filters = ProjectFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    projects = selectors.project_list(
        owner=request.user,
        q=data.get("q", ""),
        status=data.get("status", ""),
        skill=data.get("skill", ""),
    )
    return render(
        request,
        "projects/project_list.html",
        {
            "projects": projects,
            "filters": filters,
            "filtering": any(data.values()) if data else False,
            "skills": selectors.project_skills(owner=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    blank = request.GET.get("start") == "blank"
    initial = {} if blank else services.template_content()
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(
            owner=request.user,
            content=form.content(),
            visibility=form.cleaned_data["visibility"],
            change_note=form.cleaned_data["change_note"],
        )
        messages.success(request, f"“{project.title}” created as revision 1.")
        return redirect(project)
    return render(
        request, "projects/project_form.html", {"form": form, "creating": True, "blank": blank}
    )


@login_required
@require_GET
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    return _render_revision(request, project, project.current_revision, is_current=True)


@login_required
@require_GET
def shared_project(request: HttpRequest, slug: str) -> HttpResponse:
    """A project by its reader key: its owner goes to their page, a mentor to the people side's
        review page of the record (projects.people), where they read and discuss it; anyone else
    reading a public project to its public page."""
    project = selectors.project_for_reader(user=request.user, slug=slug)
    if not project.read_only:
        return redirect(project)
    mentor = access.is_mentor_of(request.user, project.owner_id)
    name = people.PROJECT_FEEDBACK if mentor else people.PROJECT_PUBLIC
    url = people.link(name, owner=project.owner, project=project)
    if url is None:
        raise Http404("No page for this project")
    return redirect(url)


@login_required
@require_GET
def revision_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    revision = selectors.revision_get(project=project, number=number)
    is_current = revision.pk == project.current_revision_id
    return _render_revision(request, project, revision, is_current=is_current)


def _render_revision(request, project, revision, *, is_current: bool) -> HttpResponse:
    owner = request.user  # project_for_owner found it: only its owner reads this page
    results = {}
    if is_current:
        results = {
            "progress": selectors.imports_progress(project=project),
            "sync_url": people.link(people.PROJECT_SYNC, owner=owner, project=project),
            "run_count": project.runs.current().count(),
            "formats": FORMATS,
            "max_mb": settings.CAIRN_MAX_UPLOAD_BYTES // (1000 * 1000),
        }
    groups = [
        (group, [(s, getattr(revision, s.key)) for s in sections_in_group(group.key)])
        for group in GROUPS
    ]
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "revision": revision,
            "is_current": is_current,
            "groups": groups,
            "empty_sections": sum(1 for s in SECTIONS if not getattr(revision, s.key).strip()),
            "feedback_url": people.link(people.PROJECT_FEEDBACK, owner=owner, project=project),
            "open_threads": people.open_threads(project),
            "public_url": people.link(people.PROJECT_PUBLIC, owner=owner, project=project),
            **results,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    current = project.current_revision
    form = ProjectForm.for_edit(project, request.POST or None)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            edit = services.project_edit(
                project=project, author=request.user, **form.edit(current.number)
            )
        except services.EditConflict as exc:
            conflict, form = exc, form.rebased(exc.current.number)
        else:
            if edit.revision:
                messages.success(request, f"Saved as revision {edit.revision.number}.")
            elif edit.visibility_changed:
                messages.success(request, "Visibility saved. The content did not change.")
            else:
                messages.info(request, "Nothing changed, so no new revision was made.")
            return redirect(project)
    context = {"form": form, "project": project, "conflict": conflict, "current": current}
    return render(request, "projects/project_form.html", context, status=409 if conflict else 200)


@login_required
@require_GET
def revision_history(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    revisions = list(selectors.revision_history(project=project))
    return render(
        request,
        "projects/history.html",
        {"project": project, "revisions": revisions, "labels": FIELD_LABELS},
    )


@login_required
@require_GET
def revision_diff(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    current = project.current_revision.number
    try:
        a = int(request.GET.get("a", max(current - 1, 1)))
        b = int(request.GET.get("b", current))
    except ValueError:
        raise Http404("Revision numbers are whole numbers") from None
    if a > b:
        a, b = b, a
    old = selectors.revision_get(project=project, number=a)
    new = selectors.revision_get(project=project, number=b)
    fields = diff_revisions(old, new)
    return render(
        request,
        "projects/diff.html",
        {
            "project": project,
            "old": old,
            "new": new,
            "fields": fields,
            "changed": [f for f in fields if f.changed],
            "numbers": range(1, current + 1),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def revision_restore(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    revision = selectors.revision_get(project=project, number=number)
    if request.method == "POST":
        new = services.revision_restore(project=project, revision=revision, author=request.user)
        if new:
            messages.success(request, f"Revision {number} restored as revision {new.number}.")
        else:
            messages.info(request, f"Revision {number} is what the record says already.")
        return redirect(project)
    return render(
        request, "projects/restore_confirm.html", {"project": project, "revision": revision}
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    if request.method == "POST":
        if request.POST.get("confirm_title", "").strip() != project.title:
            messages.error(request, "Type the project's title exactly to delete it.")
            return redirect("projects:delete", project.slug)
        services.project_delete(project=project)
        messages.success(request, f"“{project.title}” and its revisions were deleted.")
        return redirect("projects:list")
    return render(
        request,
        "projects/project_delete.html",
        {"project": project, "revision_count": project.revisions.count()},
    )


@login_required
@require_GET
def export_markdown(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    text = project_markdown(project=project, revision=project.current_revision)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}.md"'
    return response


@login_required
@require_GET
def export_json(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    data = project_json(
        project=project,
        revision=project.current_revision,
        history=selectors.revision_history(project=project),
    )
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{project.slug}.json"'
    return response


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """Render one section's markdown for the live preview beside the editor."""
    field = request.POST.get("field", "")
    text = request.POST.get(field, "") if field in {s.key for s in SECTIONS} else ""
    return render(request, "projects/_preview.html", {"text": text[:50_000], "field": field})
