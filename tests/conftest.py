"""A fixed cast for every test: alice owns things, bob is another engineer, charlie a bystander."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine

from tests.factories import GoalFactory, MilestoneFactory, UserFactory

# Every test runs on one clock that starts here, whatever the date on the machine: quarters, due
# dates, "since Nov" and overdue marks would otherwise change with the calendar. The clock ticks,
# so durations and timeouts behave; time.monotonic and perf_counter stay real.
FROZEN_NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    """The whole wall clock (time.time, datetime.now, timezone.now and localdate) at FROZEN_NOW."""
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test its own cache keys: the Redis cache outlives a test, and ids come back."""
    settings.CACHES = {
        name: {**conf, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, conf in settings.CACHES.items()
    }
    from portfolio.context_processors import forget_background_work
    from portfolio.public.cache import forget_slugs

    forget_slugs()  # and the slugs' owners this process remembers
    # and whether each user's background work waits: ids come back on SQLite, not on
    # PostgreSQL, so a remembered answer would make query counts differ between the two
    forget_background_work()


@pytest.fixture
def today(clock) -> datetime.date:
    return FROZEN_NOW.date()


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
