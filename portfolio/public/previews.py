"""Link-preview images (OpenGraph and Twitter cards) of public pages: a plotly figure rendered to
a 1200×630 PNG by kaleido, which drives the machine's Chromium (BROWSER_PATH, or chromium on the
PATH). Rendering takes seconds, so it runs in a Celery job; the file is named after the owner's
public-cache version (portfolio/public/cache.py), so any change to what the page shows makes
the next request render a fresh one, and old ones are removed when it is written.
"""

from __future__ import annotations

import plotly.graph_objects as go
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count

from milestones.models import Milestone, MilestoneStatus
from projects.chart_theme import (
    ACCENT,
    ACCENT_2,
    IMAGE_FONT,
    INK,
    MUTED,
    TINT,
    TINT_GRID,
    go_figure,
    plot_text,
)
from projects.metrics import (
    best_stat,
    metric_direction,
    running_best,
    summary_best,
    with_metric_summary,
)
from projects.models import Project, Run
from projects.wording import plural

from ..models import Profile
from .cache import version

WIDTH, HEIGHT = 1200, 630


def preview_name(project: Project | None) -> str:
    return f"project-{project.pk}" if project is not None else "profile"


def preview_path(owner_id: int, name: str, token: str | None = None) -> str:
    return f"previews/{owner_id}/{name}-{token or version(owner_id)}.png"


def _card(title: str, subtitle: str) -> go.Figure:
    fig = go_figure(
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 70, "r": 50, "t": 170, "b": 70},
        plot_bgcolor=TINT,
        font={"family": IMAGE_FONT, "color": INK, "size": 18},
        showlegend=False,
        xaxis={"gridcolor": TINT_GRID},
        yaxis={"gridcolor": TINT_GRID},
    )
    fig.add_annotation(
        text=f"<b>{_clip(title, 48)}</b>", x=0, y=1.36, xref="paper", yref="paper",
        xanchor="left", showarrow=False, font={"size": 40, "color": INK},
    )  # fmt: skip
    fig.add_annotation(
        text=_clip(subtitle, 90), x=0, y=1.2, xref="paper", yref="paper", xanchor="left",
        showarrow=False, font={"size": 22, "color": MUTED},
    )  # fmt: skip
    fig.add_annotation(
        text="Cairn", x=1, y=1.36, xref="paper", yref="paper", xanchor="right",
        showarrow=False, font={"size": 24, "color": ACCENT_2},
    )  # fmt: skip
    return fig


def _clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split()).replace("<", "‹").replace(">", "›")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
        font={"size": 26, "color": MUTED},
    )  # fmt: skip
    return fig


def project_figure(project: Project, profile: Profile) -> go.Figure:
    """The project's success metric (or its first metric) per run, with the best so far."""
    revision = project.current_revision
    metric = (revision.success_metric if revision else "") or ""
    runs = Run.objects.current().filter(project=project).order_by("id")
    if not metric or not runs.filter(summary__has_key=metric).exists():
        # No results of the success metric yet: show the first metric there is.
        first = runs.exclude(summary={}).values_list("summary", flat=True).first()
        metric = sorted(first)[0] if first else ""
    status = project.get_status_display()
    fig = _card(project.title, f"{profile.name} · {status} · {project.summary}")
    if not metric:
        return _empty(fig, "No results imported yet")
    direction = metric_direction(metric, project, revision=revision)
    stat = best_stat(direction)
    summaries = with_metric_summary(runs, metric).values_list("metric_summary", flat=True)
    values = [v for v in (summary_best(s, direction) for s in summaries) if v is not None]
    if not values:
        return _empty(fig, plot_text(f"No values of {metric} yet"))
    best = running_best(values, direction)
    x = list(range(1, len(values) + 1))
    fig.add_trace(go.Scatter(x=x, y=values, mode="markers", marker={"color": ACCENT, "size": 9}))
    fig.add_trace(
        go.Scatter(x=x, y=best, mode="lines", line={"color": ACCENT_2, "width": 4, "shape": "hv"})
    )
    if revision and revision.success_metric == metric and revision.success_target is not None:
        fig.add_hline(y=revision.success_target, line={"color": INK, "dash": "dash", "width": 2})
    fig.update_xaxes(title={"text": "run"})
    fig.update_yaxes(title={"text": plot_text(f"{metric} ({stat} per run)")})
    return fig


def profile_figure(profile: Profile) -> go.Figure:
    """Completed milestones of public goals per quarter, with the engineer's name and headline."""
    fig = _card(profile.name, profile.headline or "ML engineer on Cairn")
    rows = (
        Milestone.objects.public()
        .filter(goal__owner=profile.user, status=MilestoneStatus.DONE)
        .values_list("goal__year", "goal__quarter")
        .annotate(n=Count("pk"))
        .order_by("goal__year", "goal__quarter")
    )
    projects = Project.objects.public().filter(owner=profile.user).count()
    rows = list(rows)[-8:]
    if not rows:
        return _empty(fig, plural(projects, "published project"))
    labels = [f"Q{q} {y}" for y, q, _ in rows]
    fig.add_trace(go.Bar(x=labels, y=[n for _, _, n in rows], marker={"color": ACCENT}, width=0.6))
    fig.update_yaxes(title={"text": "milestones completed"})
    fig.add_annotation(
        text=plural(projects, "published project"), x=1, y=1.2,
        xref="paper", yref="paper", xanchor="right", showarrow=False,
        font={"size": 22, "color": MUTED},
    )  # fmt: skip
    return fig


def render_png(fig: go.Figure) -> bytes:
    """The figure as PNG bytes (kaleido starts Chromium; a few seconds)."""
    return fig.to_image(format="png", width=WIDTH, height=HEIGHT)


def preview_render(*, owner_id: int, project_id: int | None = None) -> str | None:
    """Render the preview of owner's profile (or of one project) for the current version and
    store it; returns its storage path, or None when the page is not public."""
    profile = Profile.objects.public().select_related("user").filter(user_id=owner_id).first()
    if profile is None:
        return None
    project = None
    if project_id is not None:
        project = (
            Project.objects.visible_to(None)
            .select_related("current_revision")
            .filter(owner_id=owner_id, pk=project_id)
            .first()
        )
        if project is None:
            return None
    name = preview_name(project)
    path = preview_path(owner_id, name)
    if default_storage.exists(path):
        return path
    fig = project_figure(project, profile) if project else profile_figure(profile)
    png = render_png(fig)
    saved = default_storage.save(path, ContentFile(png))
    _remove_older(owner_id, name, keep=saved)
    return saved


def _remove_older(owner_id: int, name: str, *, keep: str) -> None:
    folder = f"previews/{owner_id}"
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for filename in files:
        path = f"{folder}/{filename}"
        if filename.startswith(f"{name}-") and path != keep:
            default_storage.delete(path)
