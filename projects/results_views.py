"""Experiment results of a project: upload, import progress, runs table and run pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from . import chart_views, imports, selectors
from .importers import FORMATS, group_uploads, kind_of
from .models import ImportStatus
from .uploads import upload_refusal, uploads_with_paths

RUNS_PER_PAGE = 50


@login_required
@require_POST
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    files = request.FILES.getlist("files")  # parses the body; the size limit applies here
    if refusal := upload_refusal(request):
        messages.error(request, refusal)
        return redirect(f"{project.get_absolute_url()}#results")
    uploads = uploads_with_paths(files, request.POST.getlist("paths"))
    fmt = request.POST.get("format", "")
    groups = group_uploads([u.name for u in uploads], [_kind(u) for u in uploads]) or [[]]
    try:
        made = []
        # Files of one format are one import, each hparams.yaml or meta_tags.csv with the
        # metrics of its folder; other files one import each, so one bad file fails alone.
        for group in groups:
            made.append(
                imports.import_create(
                    project=project,
                    user=request.user,
                    uploads=[uploads[i] for i in group],
                    requested_format=fmt,
                    run_name=request.POST.get("run_name", "").strip() if len(groups) == 1 else "",
                    metric_name=(
                        request.POST.get("metric_name", "").strip() if len(groups) == 1 else ""
                    ),
                )
            )
    except imports.UploadRefused as exc:
        messages.error(request, str(exc))
        return redirect(f"{project.get_absolute_url()}#results")
    for imp, created in made:
        if not created:
            messages.info(
                request, f"“{imp.original_name}” was imported already; here is that import."
            )
    if len(made) == 1:
        return redirect(made[0][0])
    messages.success(request, f"{len(made)} imports queued.")
    return redirect(f"{project.get_absolute_url()}#results")


def _kind(upload: imports.Upload) -> str | None:
    head = upload.stream.read(1 << 16)
    upload.stream.seek(0)
    return kind_of(upload.name, head)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def import_detail(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
    imp = selectors.import_for_owner(project=project, import_id=import_id)
    stranded = imports.stalled_imports().filter(pk=imp.pk).exists()
    context = {"project": project, "imp": imp, "formats": FORMATS, "stranded": stranded}
    if request.htmx:
        response = render(request, "projects/import_detail.html#import-status", context)
        if imp.is_done:
            # 286 tells htmx to stop polling; the swap still shows the final state.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    if imp.status == ImportStatus.QUEUED:
        imports.import_requeue_stalled(project=project)
    context["runs"] = imp.runs.all()[:50] if imp.status == ImportStatus.SUCCEEDED else []
    return render(request, "projects/import_detail.html", context)


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
        {"project": project, "imp": imp, "run_count": imp.runs.count()},
    )


@login_required
@require_GET
def run_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_owner(user=request.user, slug=slug)
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
    project = selectors.project_for_owner(user=request.user, slug=slug)
    run = selectors.run_for_owner(user=request.user, project=project, run_id=run_id)
    try:
        options, option_error = chart_views.parse_options(request.GET), ""
    except chart_views.BadRequest as exc:
        options, option_error = chart_views.ChartOptions(), str(exc)
    # Only the figures of each series: the points load with each chart, when it scrolls in.
    series = list(run.series.only("id", "key", "count", "last", "min", "max", "run_id"))
    slots = chart_views.chart_slots(project, [s.key for s in series], [run.pk], options)
    charts = [
        {"series": s, "slot": slot, "direction": selectors.metric_direction(s.key, project)}
        for s, slot in zip(series, slots, strict=True)
    ]
    return render(
        request,
        "projects/run_detail.html",
        {
            "project": project,
            "run": run,
            "imp": run.experiment_import,
            "charts": charts,
            "options": options,
            "option_error": option_error,
        },
    )
