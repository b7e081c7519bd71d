"""Experiment results of a project: upload, import progress, runs table and run pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from . import chart_watch, import_choices, imports, pins, provenance, selectors
from .importers import FORMATS, Choices
from .models import ImportStatus
from .query_forms import ChartOptionsForm
from .uploads import (
    RAW_BODY_EMPTY,
    RAW_NAME_MISSING,
    is_raw_upload,
    raw_upload_name,
    receive_raw_upload,
    refusal_status,
    upload_refusal,
    uploads_with_paths,
)
from .wording import plural

RUNS_PER_PAGE = 50


@login_required
@require_POST
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    if is_raw_upload(request):
        return _raw_upload(request, project)
    files = request.FILES.getlist("files")  # parses the body; the size limit applies here
    back = f"{project.get_absolute_url()}#results"
    try:
        if refusal := upload_refusal(request):
            raise imports.UploadRefused(refusal)
        made = imports.imports_create(
            project=project,
            user=request.user,
            uploads=uploads_with_paths(files, request.POST.getlist("paths")),
            requested_format=request.POST.get("format", ""),
            run_name=request.POST.get("run_name", "").strip(),
            metric_name=request.POST.get("metric_name", "").strip(),
        )
    except imports.UploadRefused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    for imp, created in made:
        if not created:
            _imported_already(request, imp)
    if len(made) == 1:
        return redirect(made[0][0])
    messages.success(request, f"{plural(len(made), 'file')} uploaded: see each import below.")
    return redirect(back)


def _imported_already(request: HttpRequest, imp) -> None:
    messages.info(request, f"“{imp.original_name}” was imported already; here is that import.")


def _raw_upload(request: HttpRequest, project) -> JsonResponse:
    """One file sent as the body itself (the upload page's script sends each file so, with
    its progress; `?name=` gives its path, the form's other fields come in the query string):
    answered in JSON, the import's page to go to or why it was refused."""
    name = raw_upload_name(request)
    if not name:
        return JsonResponse({"error": RAW_NAME_MISSING}, status=400)
    file = receive_raw_upload(request, name)
    if refusal := upload_refusal(request):
        return JsonResponse({"error": refusal}, status=refusal_status(request))
    if file is None:
        return JsonResponse({"error": RAW_BODY_EMPTY}, status=400)
    fields = request.GET
    try:
        [(imp, created)] = imports.imports_create(
            project=project,
            user=request.user,
            uploads=uploads_with_paths([file], [name]),
            requested_format=fields.get("format", ""),
            run_name=fields.get("run_name", "").strip(),
            metric_name=fields.get("metric_name", "").strip(),
        )
    except imports.UploadRefused as exc:
        return JsonResponse({"error": str(exc)}, status=413 if exc.too_large else 400)
    if not created:  # shown on the import's page, as after the form
        _imported_already(request, imp)
    body = {"id": imp.pk, "name": imp.original_name, "url": imp.get_absolute_url()}
    return JsonResponse({**body, "duplicate": not created}, status=201 if created else 200)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def import_progress(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's recent imports with their progress: polled by htmx, a page without it."""
    project = selectors.project_for_owner(user=request.user, slug=slug)
    since = request.GET.get("since", "")
    since_id = int(since) if since.isdigit() and len(since) < 19 else None  # else: none given
    progress = selectors.imports_progress(project=project, since=since_id)
    context = {"project": project, "progress": progress}
    if not request.htmx:
        return render(request, "projects/imports.html", context)
    response = render(request, "projects/_imports.html", context)
    if not progress.under_way:
        response.status_code = HttpResponseStopPolling.status_code
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
@vary_on_headers("HX-Request")
def import_detail(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    imp = selectors.import_for_owner(project=project, import_id=import_id)
    stranded = imports.stalled_imports().filter(pk=imp.pk).exists()
    context = {
        "project": project,
        "imp": imp,
        "formats": FORMATS,
        "stranded": stranded,
        "read_with": import_choices.describe(imp.choices),
        "has_files": provenance.has_files(imp),
    }
    context["runs"] = imp.runs.current()[:50] if imp.status == ImportStatus.SUCCEEDED else []
    if request.htmx:
        response = render(request, "projects/import_detail.html#import-status", context)
        if imp.is_done:
            # The import's end also changes the runs list and the provenance (format, importer,
            # choices): they come in the same answer, out of band, so the page agrees with a
            # reload. 286 tells htmx to stop polling; the swap still shows the final state.
            context["oob"] = True
            for part in ("import-runs", "import-provenance"):
                response.content += render_to_string(
                    f"projects/import_detail.html#{part}", context, request=request
                ).encode()
            response.status_code = HttpResponseStopPolling.status_code
        return response
    if imp.status == ImportStatus.QUEUED and not project.read_only:
        imports.import_requeue_stalled(project=project)
    return render(request, "projects/import_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    """The first rows of an import's file with each column's role, to change before importing
    (an import held for review) or to read a finished import again with other choices."""
    project = selectors.project_for_owner(user=request.user, slug=slug)
    imp = selectors.import_for_owner(project=project, import_id=import_id)
    kept = import_choices.kept_choices(imp.choices)
    shown = imports.import_preview(experiment_import=imp, choices=kept)
    typed, errors = {}, {}
    if request.method == "POST":
        typed = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
        columns, guessed = [c.name for c in shown.columns], shown.roles()
        try:
            choices = import_choices.from_form(request.POST, columns, guessed=guessed, kept=kept)
        except import_choices.ChoicesInvalid as exc:
            errors = exc.errors
        else:
            if request.POST.get("action") != "show":
                return _reread(request, imp, choices)
            choices = import_choices.to_show(choices, kept)
            shown = imports.import_preview(experiment_import=imp, choices=choices)
            typed = {"date_order": choices.date_order, "delimiter": choices.delimiter}
    context = {
        **import_choices.preview_form(shown, kept, typed, errors),
        **{"project": project, "imp": imp, "formats": FORMATS},
        "read_with": import_choices.describe(imp.choices),
    }
    return render(request, "projects/import_preview.html", context, status=400 if errors else 200)


def _reread(request: HttpRequest, imp, choices: Choices) -> HttpResponse:
    """Read a finished import again with the choices; one under way is left to end."""
    if not imp.is_done:
        messages.info(request, "This import is under way; wait until it ends.")
    elif not provenance.has_files(imp):
        messages.info(request, imports.LIVE_REREAD)
    else:
        imports.import_reread(experiment_import=imp, choices=choices.as_dict())
        messages.success(request, "Importing with your choices.")
    return redirect(imp)


@login_required
@require_POST
def import_retry(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    imp = selectors.import_for_owner(project=project, import_id=import_id)
    stranded = imports.stalled_imports().filter(pk=imp.pk).exists()
    if imp.status in (ImportStatus.FAILED, ImportStatus.REVIEW) or stranded:
        imports.import_retry(experiment_import=imp)
        messages.success(request, "Queued again.")
    else:
        messages.info(request, "Only a failed or stalled import can be tried again.")
    return redirect(imp)


@login_required
@require_http_methods(["GET", "POST"])
def import_delete(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    imp = selectors.import_for_owner(project=project, import_id=import_id)
    if request.method == "POST":
        imports.import_delete(experiment_import=imp)
        messages.success(request, f"Import “{imp.original_name}” and its runs were deleted.")
        return redirect(f"{project.get_absolute_url()}#results")
    return render(
        request,
        "projects/import_delete.html",
        {"project": project, "imp": imp, "run_count": imp.runs.current().count()},
    )


@login_required
@require_GET
def run_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    sort = request.GET.get("sort", "name")
    descending = request.GET.get("order") == "desc"
    columns = [c.strip() for v in request.GET.getlist("col") for c in v.split(",") if c.strip()]
    table = selectors.runs_table(
        project=project,
        q=request.GET.get("q", ""),
        sort=sort,
        descending=descending,
        columns=columns,
    )
    page = Paginator(table.rows, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/run_list.html",
        {
            "project": project,
            "table": table,
            "page": page,
            "sort": sort,
            "descending": descending,
            "q": request.GET.get("q", ""),
            # The chosen columns, carried by the sort and page links.
            "col_query": urlencode([("col", c) for c in table.params]) if table.chosen else "",
        },
    )


@login_required
@require_GET
def run_detail(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    project = selectors.project_for_reader(user=request.user, slug=slug)
    run = selectors.run_for_owner(user=request.user, project=project, run_id=run_id)
    form = ChartOptionsForm(request.GET)
    options, option_error = form.options(), form.message()
    charts, keys_watch = chart_watch.run_charts(project=project, run=run, options=options)
    return render(
        request,
        "projects/run_detail.html",
        {
            "project": project,
            "run": run,
            "imp": run.experiment_import,
            "charts": charts,
            "keys_watch": keys_watch,
            "options": options,
            "option_error": option_error,
            "artifacts": list(run.artifacts.all()),
            "feedback": pins.pin_form(request, project, run_id=run.pk, run_name=run.name),
        },
    )
