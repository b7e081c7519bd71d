"""Link-preview images rendered for real: kaleido drives Debian's Chromium to a PNG."""

from __future__ import annotations

import struct

import pytest
from django.core.files.storage import default_storage

from portfolio.public.cache import invalidate
from portfolio.public.previews import HEIGHT, WIDTH, preview_render
from tests.factories import create_project, import_results, long_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_job_renders_a_card_sized_png_and_replaces_it_after_a_change(alice):
    alice.profile.is_public = True
    alice.profile.save()
    project = create_project(owner=alice, title="Churn model", visibility="public")
    import_results(project, ("auc.csv", long_csv({("a", "val/auc"): [0.6, 0.7]})))

    first = preview_render(owner_id=alice.pk, project_id=project.pk)

    with default_storage.open(first) as f:
        assert _size(f.read()) == (WIDTH, HEIGHT)
    invalidate(alice.pk)
    second = preview_render(owner_id=alice.pk, project_id=project.pk)
    assert second != first
    assert default_storage.exists(second)
    assert not default_storage.exists(first)  # the stale one is removed
    profile = preview_render(owner_id=alice.pk)
    with default_storage.open(profile) as f:
        assert _size(f.read()) == (WIDTH, HEIGHT)
