"""The test suite runs against real PostgreSQL, Redis and the broker.

With DATABASE_URL / REDIS_URL / BROKER_URL set (CI: the machine's PostgreSQL, Redis and RabbitMQ)
the suite uses those servers; otherwise it starts the embedded PostgreSQL and Redis under
``var/``. Each run has its own databases (``<name>_test_p<pid>``, dropped at the end), its own
Redis key prefix and its own broker namespace, so runs side by side (or beside a development
stack on the same services) never touch each other. Every test starts from empty player,
wallet, outbox and aggregate tables.
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
    run = f"p{os.getpid()}"
    url = urlsplit(services.database_url)
    name = url.path.lstrip("/")
    base = name if name.endswith("_test") else f"{name}_test"
    url = url._replace(path=f"/{base}_{run}")
    os.environ.update(
        {
            "DATABASE_URL": url.geturl(),
            "TEST_DATABASE_BASE": base,
            "REDIS_URL": services.redis_url,
            "REDIS_PREFIX": f"test-{run}",
            "BROKER_URL": services.broker_url,
            "QUEUE_NAMESPACE": f"test-{run}.",
            "SECRET_KEY": "test-suite-not-secret",
            "OUTBOX_SIGNING_KEY": "test-suite-outbox-key",
            "PLATFORM_DOMAIN": "localhost",
            "SHARD_COUNT": "2",
            "INSECURE_FAST_PASSWORD_HASHING": "1",
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "WARNING",
            "OFFER_CACHE_S": "0.5",
            # The API's rate limits stay out of the way of tests that do not test them (those
            # that do set their own); the login throttle keeps its own, stricter windows.
            "API_RATE_ADDRESS": "1000000/60",
            "API_RATE_PLAYER": "1000000/60",
            # The suite's own process serves requests, runs tasks and migrates: the worker
            # role's (longer) time limits; the processes it starts take their own role's.
            "PROCESS_ROLE": "worker",
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
    """This run's databases, migrated; two brands (alpha, beta); declared broker queues."""
    from tests import setup

    yield setup.platform_start()
    setup.platform_stop()


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
