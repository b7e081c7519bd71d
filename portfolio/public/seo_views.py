"""robots.txt, and the link-preview images of public pages (the sitemap is Django's view)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from outbox.services import send_task_safely
from projects.models import Project

from ..models import Profile
from ..security.limits import first_in
from ..tasks import render_preview
from . import previews
from .seo import robots_txt


@require_GET
@cache_control(max_age=3600, public=True)
def robots(request: HttpRequest) -> HttpResponse:
    body = robots_txt(sitemap_url=request.build_absolute_uri(reverse("sitemap")))
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


RENDER_WAIT = 10 * 60


def _previewed_or_404(slug: str, project_slug: str | None) -> tuple[Profile, Project | None]:
    """The public profile at slug and, when named, its project as a visitor reads it."""
    profile = Profile.objects.public().filter(slug=slug).first()
    if profile is None:
        raise Http404
    if project_slug is None:
        return profile, None
    projects = Project.objects.visible_to(None).filter(owner_id=profile.user_id)
    project = projects.filter(slug=project_slug).first()
    if project is None:
        raise Http404
    return profile, project


@require_GET
def preview_image(request: HttpRequest, slug: str, project_slug: str | None = None):
    """The link-preview PNG of a public profile or project. Until its job has rendered the
    current one, a generic image stands in (briefly cached) and the job is queued."""
    profile, project = _previewed_or_404(slug, project_slug)
    path = previews.preview_path(profile.user_id, previews.preview_name(project))
    if default_storage.exists(path):
        response = FileResponse(default_storage.open(path), content_type="image/png")
        patch_cache_control(response, public=True, max_age=3600)
        return response
    # One queued render per page version, however many visitors (and crawlers) ask meanwhile;
    # after RENDER_WAIT a lost job may be queued again. With the cache down, none is queued:
    # the stand-in image serves until it is back.
    if first_in(f"preview-render:{path}", seconds=RENDER_WAIT, when_down=False):
        # Kept in the outbox while the broker is down.
        send_task_safely(
            render_preview,
            kwargs={"owner_id": profile.user_id, "project_id": project.pk if project else None},
            owner=profile.user_id,
        )
    response = redirect(static("img/preview-default.png"))
    patch_cache_control(response, public=True, max_age=60)
    return response
