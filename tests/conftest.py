"""A fixed cast for every test: alice owns things, bob is another engineer, charlie a bystander."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from tests.factories import GoalFactory, MilestoneFactory, UserFactory


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    """Pin "today" so that quarters, due dates and overdue marks do not depend on the calendar."""
    fixed = datetime.date(2026, 11, 28)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: fixed)
    return fixed


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test its own cache keys: the Redis cache outlives a test, and ids come back."""
    settings.CACHES = {
        name: {**conf, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, conf in settings.CACHES.items()
    }


@pytest.fixture
def today(_fixed_today) -> datetime.date:
    return _fixed_today


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def goal(alice):
    return GoalFactory(owner=alice, year=2026, quarter=4, title="Ship the ticket router")


@pytest.fixture
def milestone(goal):
    return MilestoneFactory(goal=goal, title="Label 2,000 tickets")


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HX-Request": "true"}
