"""Setting up and resetting the platform for the test suite."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.models.signals import post_save
from django_tenants.utils import schema_context
from kombu import Exchange, Queue

from apps.brands.models import Brand
from apps.brands.selectors import BrandRef
from apps.brands.services import brand_create
from apps.ops.databases import databases_drop, databases_drop_named
from apps.providers.models import Provider
from betting import ttl_cache
from betting.celery import app as celery_app
from shards import map as shard_map
from shards import queues

KEEP = {"django_migrations", "django_content_type", "auth_permission"}
KEEP_GLOBAL = KEEP | {"brands_brand", "brands_domain", "catalog_marketdescription", "catalog_sport"}


@dataclass
class Platform:
    alpha: BrandRef
    beta: BrandRef


def _tables(alias: str, schema: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        return [row[0] for row in cursor.fetchall()]


def _truncate(alias: str, schema: str, keep: set[str]) -> None:
    tables = [t for t in _tables(alias, schema) if t not in keep]
    if tables:
        names = ", ".join(f'"{schema}"."{t}"' for t in tables)
        with connections[alias].cursor() as cursor:
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


# Every provider record this run saved (its adapter's queue and its feed's exchange on the broker,
# declared by this process or by the adapters and simulators it starts): deleted at the end.
_feeds: set[tuple[str, str]] = set()


def _remember_feed(sender, instance: Provider, **_) -> None:
    _feeds.add((queues.broker_name(instance.queue_name), instance.exchange))


def _remember_feeds() -> None:
    """The providers in the database, saved by this process or by a process it started (the
    stack's ``configure_provider``), before their rows go."""
    for provider in Provider.objects.all():
        _remember_feed(Provider, provider)


def broker_clear() -> None:
    """Delete every queue and exchange this run declared on the broker: the task queues, the
    ``tasks`` and ``events`` exchanges, the workers' control and events exchanges, and each
    provider's feed queue and exchange."""
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in celery_app.amqp.queues.values():
            queue(channel).delete()
        for queue_name, _ in _feeds:
            Queue(queue_name)(channel).delete()
        for exchange in {name for _, name in _feeds}:
            queues.feed_exchange(exchange)(channel).delete()
        for exchange in (queues.TASKS, queues.EVENTS):
            exchange(channel).delete()
        control, events = celery_app.conf.control_exchange, celery_app.conf.event_exchange
        for name in (f"{control}.pidbox", f"reply.{control}.pidbox", events):
            Exchange(name)(channel).delete()


def purge_queues() -> None:
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in celery_app.amqp.queues.values():
            queue(channel).declare()
            queue(channel).purge()


def _drop_abandoned_runs() -> None:
    """Drop the databases of earlier runs whose process is gone (a run killed mid-way)."""
    base = os.environ["TEST_DATABASE_BASE"]
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{base}_p%"])
        names = [row[0] for row in cursor.fetchall()]
    abandoned = []
    for name in names:
        match = re.fullmatch(rf"{re.escape(base)}_p(\d+)(_shard_\d+)?", name)
        if match and not _alive(int(match.group(1))):
            abandoned.append(name)
    if abandoned:
        databases_drop_named(abandoned)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def platform_start() -> Platform:
    for conn in connections.all():
        conn.close()
    databases_drop()
    call_command("migrate_all", create_databases=True, verbosity=0)
    _drop_abandoned_runs()
    post_save.connect(_remember_feed, sender=Provider, dispatch_uid="tests.remember_feed")
    purge_queues()
    alpha = brand_create(
        slug="alpha", name="Alpha Bets", domains=["alpha.localhost"], currency="EUR"
    )
    beta = brand_create(slug="beta", name="Beta Bets", domains=["beta.localhost"], currency="GBP")
    return Platform(BrandRef.of(alpha), BrandRef.of(beta))


def platform_stop() -> None:
    """Drop this run's databases and delete its Redis keys, broker queues and exchanges."""
    connections["default"].set_schema_to_public()
    _remember_feeds()
    broker_clear()
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"{settings.REDIS_PREFIX}*", count=1000):
        client.delete(key)
    for conn in connections.all():
        conn.close()
    if os.environ.get("KEEP_TEST_DATABASES") != "1":
        databases_drop()


def platform_reset(platform: Platform) -> None:
    connection = connections["default"]
    connection.set_schema_to_public()
    _remember_feeds()
    _truncate("default", "public", KEEP_GLOBAL)
    keep_schemas = {"public", platform.alpha.schema_name, platform.beta.schema_name}
    for brand in Brand.objects.exclude(schema_name__in=keep_schemas):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{brand.schema_name}" CASCADE')
        brand.domains.all().delete()
        Brand.objects.filter(pk=brand.pk).delete()
    ttl_cache.clear_all()
    for schema in (platform.alpha.schema_name, platform.beta.schema_name):
        with schema_context(schema):
            _truncate("default", schema, KEEP)
    for alias in shard_map.aliases():
        _truncate(alias, "public", KEEP)
    # Attempt windows, API rate windows and session lists belong to the players just removed.
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("throttle:*", "api-rate:*", "player-sessions:*"):
        stale = list(client.scan_iter(match=f"{settings.REDIS_PREFIX}:*:{pattern}", count=1000))
        if stale:
            client.delete(*stale)
    # Catalog ids restart with the tables: drop this run's odds cache with them.
    from apps.catalog import live

    stale = list(live.client().scan_iter(match=f"{settings.REDIS_PREFIX}:catalog:*", count=1000))
    if stale:
        live.client().delete(*stale)
