"""The test suite runs against real PostgreSQL, Redis and the broker.

With DATABASE_URL / REDIS_URL / BROKER_URL set (CI: the machine's PostgreSQL, Redis and RabbitMQ)
the suite uses those servers, in databases named ``<name>_test`` and Redis database 15; otherwise
it starts the embedded PostgreSQL and Redis under ``var/``. The databases are created afresh and
migrated once per run; every test starts from empty player, outbox and aggregate tables.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from betting.stack.services import ServiceUnavailable, resolve


def _test_environment() -> None:
    try:
        services = resolve(database_name="betting_test")
    except ServiceUnavailable as exc:
        pytest.exit(f"error: {exc}", returncode=2)
    url = urlsplit(services.database_url)
    name = url.path.lstrip("/")
    if not name.endswith("_test"):
        url = url._replace(path=f"/{name}_test")
    redis_url = urlsplit(services.redis_url)._replace(path="/15").geturl()
    broker_url = services.broker_url
    if broker_url == services.redis_url:
        broker_url = redis_url
    os.environ.update(
        {
            "DATABASE_URL": url.geturl(),
            "REDIS_URL": redis_url,
            "BROKER_URL": broker_url,
            "SECRET_KEY": "test-suite-not-secret",
            "PLATFORM_DOMAIN": "localhost",
            "SHARD_COUNT": "2",
            "INSECURE_FAST_PASSWORD_HASHING": "1",
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "betting.settings",
        }
    )
    os.environ.pop("SHARD_DATABASE_URLS", None)


def pytest_configure(config):
    _test_environment()
    import django

    django.setup()


@pytest.fixture(scope="session")
def platform(request):
    """Fresh databases, migrated; two brands (alpha, beta); empty Redis db and broker queues."""
    from tests import setup

    return setup.platform_start()


@pytest.fixture
def clean(platform):
    """Empty every table that holds players, events or aggregates, before and after the test."""
    from tests import setup

    setup.platform_reset(platform)
    yield platform
    setup.platform_reset(platform)


@pytest.fixture
def alpha(clean):
    return clean.alpha


@pytest.fixture
def beta(clean):
    return clean.beta
