"""The public portfolio: /u/<slug>/ and /u/<slug>/<project>/, with the chart fragments of a
project page. They render as a signed-out visitor sees them, whoever asks; the body of each page
is cached per engineer (portfolio/public/cache.py) and made stale by any change it shows."""

from __future__ import annotations

import functools
from functools import wraps
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from milestones import charts as plan_charts
from projects import chart_cards, chart_watch
from projects.models import Visibility
from projects.sections import GROUPS, sections_in_group

from ..models import Profile
from . import cache as public_cache
from . import reads as public_reads
from . import seo
from .links import flags_of


def _whole_page_for_visitors(view):
    """Serve signed-out visitors the page as last rendered for one, without a query: they all
    see the same page. Anyone signed in, and any query string, goes through the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated or request.GET:
            return view(request, slug, *args, **kwargs)
        path, host = request.path, request.get_host()
        content = public_cache.page_get(slug=slug, path=path, host=host, request=request)
        if content is not None:
            return HttpResponse(content)
        response = view(request, slug, *args, **kwargs)
        owner_id = getattr(response, "cairn_owner_id", None)
        if response.status_code == 200 and owner_id is not None:
            public_cache.page_set(
                slug=slug, owner_id=owner_id, path=path, host=host, content=response.content
            )
        return response

    return wrapper


def _visitor_profile(request: HttpRequest, slug: str) -> tuple[Profile, bool]:
    found = public_reads.profile_for_visitor(slug=slug, viewer=request.user)
    if found is None:
        raise Http404
    return found


def _profile_body(page: public_reads.ProfilePage) -> str:
    profile = page.profile
    activity = None
    # None unless the profile is public and shows it; it counts public work only.
    data = plan_charts.activity_for(profile.user, public=True, flags=flags_of(profile))
    if data is not None:
        activity = {"data": data, "calendar": plan_charts.activity_calendar(data)}
    return render_to_string(
        "portfolio/site/_profile_body.html", {"page": page, "activity": activity}
    )


def _profile_head(request: HttpRequest, page: public_reads.ProfilePage) -> str:
    profile = page.profile
    url = request.build_absolute_uri(reverse("public:profile", args=[profile.slug]))
    meta = seo.page_meta(
        title=f"{profile.name}: ML engineering portfolio",
        description=profile.headline or profile.bio,
        url=url,
        type="profile",
        image=request.build_absolute_uri(reverse("public:preview", args=[profile.slug])),
        jsonld=seo.profile_jsonld(
            profile=profile,
            projects=page.projects,
            absolute=request.build_absolute_uri,
            skills=page.skills,
        ),
    )
    return render_to_string("portfolio/public/_meta.html", {"meta": meta})


@require_GET
@_whole_page_for_visitors
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    profile, preview = _visitor_profile(request, slug)
    owner = profile.user_id
    # Read once for whichever of the body and the head the cache misses.
    page = functools.cache(lambda: public_reads.profile_page(profile))
    body = public_cache.fragment(owner, "profile", lambda: _profile_body(page()))
    head = public_cache.fragment(
        owner, f"profile-head:{request.get_host()}", lambda: _profile_head(request, page())
    )
    context = {"profile": profile, "preview": preview, "body": body, "head": head}
    response = render(request, "portfolio/site/profile.html", context)
    response.cairn_owner_id = None if preview else owner
    return response


def visitor_project(request: HttpRequest, slug: str, project_slug: str):
    """(profile, owner preview?, project) of a public page, else a 404."""
    profile, preview = _visitor_profile(request, slug)
    project = public_reads.project_for_visitor(profile=profile, slug=project_slug)
    if project is None:
        raise Http404
    return profile, preview, project


PUBLIC_SLOT = "portfolio/site/_chart_slot.html"


def _slot(profile: Profile, project, metric: str, ids: list[int], files=()) -> dict:
    """A public chart slot: the card of metric for runs ids, loaded as it scrolls into view."""
    query = urlencode({"metric": metric, "runs": ",".join(map(str, ids))}, safe="/,")
    chart_url = reverse("public:chart", args=[profile.slug, project.slug])
    data_url = reverse("public:chart-data", args=[profile.slug, project.slug])
    return {
        "key": metric,
        "url": f"{chart_url}?{query}",
        "data_url": f"{data_url}?{query}",
        "files": list(files),
    }


def _project_body(profile: Profile, project) -> str:
    # Before the page is read: a metric that live runs begin to log later is added by the page.
    after = chart_watch.keys_cursor()
    page = public_reads.project_page(project)
    slots = [_slot(profile, project, m, ids, files) for m, ids, files in page.charts if ids]
    keys_watch = chart_watch.keys_watch(
        project=project,
        run_ids=None,
        url=reverse("public:chart-keys", args=[profile.slug, project.slug]),
        layout="public",
        room=public_reads.CHART_METRICS - len(slots),
        after=after,
    )
    groups = [
        (group, [(s, getattr(page.revision, s.key)) for s in sections_in_group(group.key)])
        for group in GROUPS
    ]
    return render_to_string(
        "portfolio/site/_project_body.html",
        {
            "page": page,
            "profile": profile,
            "slots": slots,
            "groups": groups,
            "keys_watch": keys_watch,
            "slot_template": PUBLIC_SLOT,
        },
    )


def _project_head(request: HttpRequest, profile: Profile, project) -> str:
    url = request.build_absolute_uri(reverse("public:project", args=[profile.slug, project.slug]))
    unlisted = project.visibility == Visibility.UNLISTED
    meta = seo.page_meta(
        title=f"{project.title} · {profile.name}",
        description=project.summary or f"An ML project by {profile.name}.",
        url=url,
        type="article",
        noindex=unlisted,
        image=request.build_absolute_uri(
            reverse("public:project-preview", args=[profile.slug, project.slug])
        ),
        jsonld=seo.project_jsonld(
            profile=profile, project=project, absolute=request.build_absolute_uri
        ),
    )
    return render_to_string("portfolio/public/_meta.html", {"meta": meta})


@require_GET
@_whole_page_for_visitors
def project(request: HttpRequest, slug: str, project_slug: str) -> HttpResponse:
    profile, preview, project = visitor_project(request, slug, project_slug)
    owner = profile.user_id
    body = public_cache.fragment(
        owner, f"project-{project.pk}", lambda: _project_body(profile, project)
    )
    head = public_cache.fragment(
        owner,
        f"project-head-{project.pk}:{request.get_host()}",
        lambda: _project_head(request, profile, project),
    )
    context = {
        "profile": profile,
        "project": project,
        "preview": preview,
        "body": body,
        "head": head,
        # plotly loads only when the page draws a chart; the (cached) body is the one place
        # that knows, and asking it costs no query.
        "draws_charts": 'data-testid="chart-slot"' in body or 'data-testid="live-keys"' in body,
    }
    response = render(request, "portfolio/site/project.html", context)
    response.cairn_owner_id = None if preview else owner
    return response


@require_GET
def chart_fragment(request: HttpRequest, slug: str, project_slug: str) -> HttpResponse:
    """A chart card of a public project, loaded by htmx as it scrolls into view."""
    profile, _, project = visitor_project(request, slug, project_slug)
    template, context, status = chart_cards.card(
        project=project,
        params=request.GET,
        data_url=reverse("public:chart-data", args=[profile.slug, project.slug]),
        live_url=reverse("public:chart-live", args=[profile.slug, project.slug]),
        card_url=request.get_full_path(),
    )
    return render(request, template, context, status=status)


@require_GET
def chart_live(request: HttpRequest, slug: str, project_slug: str) -> HttpResponse:
    """The live badge of a public chart card, with the points logged since the page asked."""
    profile, _, project = visitor_project(request, slug, project_slug)
    template, context, status = chart_cards.live_badge(
        project=project,
        params=request.GET,
        live_url=reverse("public:chart-live", args=[profile.slug, project.slug]),
    )
    return render(request, template, context, status=status)


@require_GET
def chart_keys(request: HttpRequest, slug: str, project_slug: str) -> HttpResponse:
    """Chart slots for the metrics a public page's live runs began to log since it asked."""
    profile, _, project = visitor_project(request, slug, project_slug)

    def slots(keys, run_ids, options, layout):
        return [_slot(profile, project, k, public_reads.chart_run_ids(project, k)) for k in keys]

    template, context, status = chart_watch.live_keys(
        project=project,
        params=request.GET,
        url=reverse("public:chart-keys", args=[profile.slug, project.slug]),
        slots=slots,
        public=True,
        slot_template=PUBLIC_SLOT,
    )
    return render(request, template, context, status=status)


@require_GET
def chart_data(request: HttpRequest, slug: str, project_slug: str) -> JsonResponse:
    """The points of a public project's chart, for zooming."""
    _, _, project = visitor_project(request, slug, project_slug)
    data, status = chart_cards.points(project=project, params=request.GET)
    return JsonResponse(data, status=status, json_dumps_params={"allow_nan": False})
