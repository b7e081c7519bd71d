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

from . import chart_views, import_choices, imports, selectors
from .importers import DATE_ORDERS, FORMATS, Choices, ImportFailed, group_uploads, kind_of
from .metrics import metric_direction
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
    context = {
        "project": project,
        "imp": imp,
        "formats": FORMATS,
        "stranded": stranded,
        "read_with": import_choices.describe(imp.choices),
    }
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


# The roles the preview's selects offer for each kind of table (others get every role).
FORMAT_ROLES = {
    "long_csv": ("run", "key", "step", "value", "time", "param", "tag", "ignore"),
    "wide_csv": ("run", "step", "time", "metric", "param", "tag", "ignore"),
}


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    """The first rows of an import's file with each column's role, to change before importing
    (an import held for review) or to read a finished import again with other choices."""
    project = selectors.project_for_owner(user=request.user, slug=slug)
    imp = selectors.import_for_owner(project=project, import_id=import_id)
    try:
        kept = Choices.from_dict(imp.choices)
    except ImportFailed:
        kept = Choices()
    shown = imports.import_preview(experiment_import=imp, choices=kept)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        typed = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
        columns = [c.name for c in shown.columns]
        try:
            choices = import_choices.from_form(
                request.POST, columns, guessed=shown.roles(), kept=kept
            )
        except import_choices.ChoicesInvalid as exc:
            errors, status = exc.errors, 400
        else:
            if request.POST.get("action") == "show":
                if choices.delimiter != (kept.delimiter or ""):
                    # Other columns come with another delimiter: their roles start afresh.
                    choices = Choices(
                        date_order=choices.date_order, delimiter=choices.delimiter, confirmed=True
                    )
                shown = imports.import_preview(experiment_import=imp, choices=choices)
                typed = {"date_order": choices.date_order, "delimiter": choices.delimiter}
            elif not imp.is_done:
                messages.info(request, "This import is under way; wait until it ends.")
                return redirect(imp)
            else:
                imports.import_reread(experiment_import=imp, choices=choices.as_dict())
                messages.success(request, "Importing with your choices.")
                return redirect(imp)
    role_names = FORMAT_ROLES.get(shown.format, tuple(import_choices.ROLE_LABELS))
    rows = []
    for column in shown.columns:
        chosen = typed.get(f"role-{column.index}", column.role)
        rows.append(
            {
                "column": column,
                "chosen": chosen,
                "error": errors.get(f"role-{column.name}", ""),
                "options": [
                    (name, import_choices.ROLE_LABELS[name])
                    for name in dict.fromkeys((*role_names, column.role))
                ],
            }
        )
    context = {
        "project": project,
        "imp": imp,
        "shown": shown,
        "role_rows": rows,
        "errors": errors,
        "other_errors": [m for k, m in errors.items() if not k.startswith("role-")],
        "date_order": typed.get("date_order", kept.date_order),
        "delimiter": typed.get("delimiter", kept.delimiter),
        "date_orders": DATE_ORDERS,
        "delimiters": import_choices.DELIMITERS,
        "formats": FORMATS,
        "read_with": import_choices.describe(imp.choices),
    }
    return render(request, "projects/import_preview.html", context, status=status)


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
        {"series": s, "slot": slot, "direction": metric_direction(s.key, project)}
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
