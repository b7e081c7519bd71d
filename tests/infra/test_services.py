"""Guards for the CI services run: it must really be PostgreSQL and Redis, never a fallback."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

EXPECT = os.environ.get("CAIRN_EXPECT_SERVICES") == "1"


@pytest.mark.skipif(not EXPECT, reason="only in the services run (CAIRN_EXPECT_SERVICES=1)")
@pytest.mark.django_db
def test_the_services_run_talks_to_postgresql_and_redis():
    import redis

    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(settings.REDIS_URL).ping()


@pytest.mark.skipif(EXPECT, reason="only in the default run")
@pytest.mark.django_db
def test_the_default_run_needs_no_server():
    assert connection.vendor == "sqlite"
    assert settings.CELERY_BROKER_URL == "filesystem://"
