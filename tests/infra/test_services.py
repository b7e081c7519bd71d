"""Guards for the CI services run: it must really be PostgreSQL and Redis, never a fallback."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from portfolio.settings.env import postgres_options

EXPECT = os.environ.get("CAIRN_EXPECT_SERVICES") == "1"


@pytest.mark.skipif(not EXPECT, reason="only in the services run (CAIRN_EXPECT_SERVICES=1)")
@pytest.mark.django_db
def test_the_services_run_talks_to_postgresql_and_redis():
    import redis

    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(settings.REDIS_URL).ping()


@pytest.mark.skipif(not EXPECT, reason="only in the services run (CAIRN_EXPECT_SERVICES=1)")
@pytest.mark.django_db
def test_postgresql_connections_run_without_the_jit_compiler():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.parametrize(
    ("options", "jit", "expected"),
    [
        pytest.param({}, False, {"options": "-c jit=off"}, id="default"),
        pytest.param(
            {"sslmode": "require", "options": "-c statement_timeout=5000"},
            False,
            {"sslmode": "require", "options": "-c statement_timeout=5000 -c jit=off"},
            id="kept-with-the-urls-own",
        ),
        pytest.param({"options": "-c jit=on"}, False, {"options": "-c jit=on"}, id="url-says-on"),
        pytest.param({}, True, {}, id="CAIRN_PG_JIT=1"),
    ],
)
def test_postgresql_connection_options_turn_jit_off_unless_told(options, jit, expected):
    assert postgres_options(options, jit=jit) == expected


@pytest.mark.skipif(EXPECT, reason="only in the default run")
@pytest.mark.django_db
def test_the_default_run_needs_no_server():
    assert connection.vendor == "sqlite"
    assert settings.CELERY_BROKER_URL == "filesystem://"
