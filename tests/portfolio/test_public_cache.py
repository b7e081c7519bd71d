"""The public page cache fails safe: a change is never lost when the cache is down during the
write, pages still render while it is down, and no visitor gets another's CSRF token or nonce."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portfolio.public import cache as public_cache
from projects.models import Project
from tests.factories import create_project

# Nothing listens on port 1: every cache call fails as it does when Redis is down.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def public_alice(alice):
    alice.profile.is_public = True
    alice.profile.display_name = "Alice Liddell"
    alice.profile.save()
    return alice


@pytest.fixture
def launch(public_alice):
    return create_project(owner=public_alice, title="Launch forecaster", visibility="public")


def _profile_url(user) -> str:
    return reverse("public:profile", args=[user.profile.slug])


def _project_url(project) -> str:
    return reverse("public:project", args=[project.owner.profile.slug, project.slug])


def _make_private(alice_client, project: Project):
    revision = project.current_revision
    data = {
        **{key: value for key, value in revision.content().items() if value is not None},
        "visibility": "private",
        "base_revision": revision.number,
        "change_note": "",
    }
    return alice_client.post(reverse("projects:edit", args=[project.slug]), data)


def test_a_change_made_while_the_cache_is_down_is_saved_and_never_served_stale(
    settings, client, alice_client, launch, public_alice
):
    settings.CAIRN_PUBLIC_VERSION_TTL = 1
    assert client.get(_project_url(launch)).status_code == 200  # kept for the next visitor
    assert "Launch forecaster" in client.get(_profile_url(public_alice)).text
    working = settings.CACHES

    settings.CACHES = DEAD_REDIS
    response = _make_private(alice_client, launch)
    settings.CACHES = working

    assert response.status_code == 302
    launch.refresh_from_db()
    assert launch.visibility == "private"
    time.sleep(1.1)  # the cache's copy of the old version lives CAIRN_PUBLIC_VERSION_TTL at most
    client.logout()
    assert client.get(_project_url(launch)).status_code == 404
    assert "Launch forecaster" not in client.get(_profile_url(public_alice)).text


def test_a_change_made_while_the_cache_is_up_is_seen_by_the_next_visitor_at_once(
    client, alice_client, launch, public_alice
):
    assert client.get(_project_url(launch)).status_code == 200

    _make_private(alice_client, launch)
    client.logout()

    assert client.get(_project_url(launch)).status_code == 404


def test_public_pages_render_while_the_cache_is_down(settings, client, launch, public_alice):
    settings.CACHES = DEAD_REDIS

    profile = client.get(_profile_url(public_alice))
    project = client.get(_project_url(launch))

    assert profile.status_code == 200 and "Launch forecaster" in profile.text
    assert project.status_code == 200 and "Launch forecaster" in project.text


def _nonce(response) -> str:
    return re.search(r'nonce="([^"]+)"', response.text).group(1)


def _csrf(response) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', response.text).group(1)


def test_each_visitor_of_a_cached_page_gets_their_own_nonce_and_no_csrf_cookie(
    client, launch, public_alice
):
    first = client.get(_profile_url(public_alice))

    second = Client().get(_profile_url(public_alice))

    assert _nonce(first) != _nonce(second)
    assert f"'nonce-{_nonce(second)}'" in second.headers["Content-Security-Policy"]
    # Nothing on a public page posts for a visitor: no token to hand out, no cookie to set.
    assert "X-CSRFToken" not in second.text and "csrfmiddlewaretoken" not in second.text
    assert "csrftoken" not in second.cookies and "csrftoken" not in first.cookies


def test_a_signed_in_reader_of_a_public_page_gets_their_own_csrf_token(
    alice_client, launch, public_alice
):
    response = alice_client.get(_profile_url(public_alice))

    assert len(_csrf(response)) >= 32  # htmx's header for whatever they do next


def test_the_cache_keeps_no_visitors_token_or_nonce(client, launch, public_alice):
    response = client.get(_project_url(launch))
    owner = public_alice.pk
    key = public_cache._page_key(owner, _project_url(launch), "testserver")

    rendered_under, kept = cache.get(key)

    assert rendered_under == public_cache.version(owner)
    assert b"Launch forecaster" in kept
    assert _nonce(response).encode() not in kept
    assert public_cache.NONCE_MARK in kept and b"X-CSRFToken" not in kept


def test_a_reread_import_makes_the_public_pages_stale_with_the_runs_it_replaces(launch):
    # projects cannot import portfolio: it announces the replacement (import_runs_replacing)
    # inside the transaction that writes the new runs, and the public cache listens. The
    # receiver on import_succeeded is held off to show that this one alone does it.
    from projects import imports
    from projects.models import ImportStatus, Run
    from projects.signals import import_succeeded
    from tests.factories import import_results

    imp = import_results(launch, ("w.csv", b"epoch,lr,loss\n0,0.1,0.9\n1,0.1,0.8\n"))
    assert imp.status == ImportStatus.SUCCEEDED
    launch.owner.profile.refresh_from_db()
    before = launch.owner.profile.public_version
    imports.import_reread(experiment_import=imp, choices={"roles": {"lr": "param"}})
    assert import_succeeded.disconnect(dispatch_uid="public-cache-import-succeeded")
    try:
        imports.import_process(import_id=imp.pk, token="again")
    finally:
        from portfolio import receivers

        import_succeeded.connect(
            receivers._import_changed, dispatch_uid="public-cache-import-succeeded"
        )
    assert Run.objects.get(experiment_import=imp).params == {"lr": "0.1"}
    launch.owner.profile.refresh_from_db()
    assert launch.owner.profile.public_version != before


def test_a_cached_page_is_served_in_one_round_trip_to_the_cache(client, launch, public_alice):
    """One read of the cache (a get_many: MGET on Redis) for a kept page: the owner's version
    and the page together, the slug's owner remembered by the process."""
    url = _project_url(launch)
    client.get(url)  # rendered and kept
    calls, inside = [], []
    real_get, real_get_many = cache.get, cache.get_many

    def get(*args, **kwargs):
        if not inside:  # the local caches' get_many calls get for each key: one read still
            calls.append(("get", args[0]))
        return real_get(*args, **kwargs)

    def get_many(*args, **kwargs):
        calls.append("get_many")
        inside.append(True)
        try:
            return real_get_many(*args, **kwargs)
        finally:
            inside.pop()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "get", get)
        patch.setattr(cache, "get_many", get_many)
        response = Client().get(url)

    assert response.status_code == 200 and b"Launch forecaster" in response.content
    assert calls == ["get_many"]


def test_a_slug_this_process_still_maps_to_its_former_owner_serves_nothing_stale(
    client, public_alice, bob
):
    from portfolio.models import Profile

    url = _profile_url(public_alice)
    old_slug = Profile.objects.get(user=public_alice).slug
    assert client.get(url).status_code == 200  # kept, and the slug remembered
    profile = Profile.objects.get(user=public_alice)
    profile.slug = "alice-renamed"
    profile.save()
    public_cache.invalidate(public_alice.pk)
    # Bob takes the old slug with a public profile of his own.
    Profile.objects.update_or_create(
        user=bob, defaults={"slug": old_slug, "is_public": True, "display_name": "Bob B"}
    )

    response = Client().get(url)

    assert response.status_code == 200
    assert b"Bob B" in response.content
