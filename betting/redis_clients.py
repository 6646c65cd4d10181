"""Connecting to Redis: straight to ``REDIS_URL``, or through Redis Sentinel to the primary.

With ``REDIS_SENTINELS`` (``host:port,host:port``) set, a client asks the sentinels for the
current primary of ``REDIS_SENTINEL_MASTER`` and asks again after a failover; ``REDIS_URL`` then
gives only the user, password and database number. ``REDIS_SENTINEL_PASSWORD`` authenticates to
the sentinels themselves, when they ask for it.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.connection import parse_url


def _primary_credentials() -> dict[str, Any]:
    parts = parse_url(settings.REDIS_URL)
    return {k: parts[k] for k in ("username", "password", "db") if parts.get(k) is not None}


def _sentinel_kwargs() -> dict[str, Any]:
    password = settings.REDIS_SENTINEL_PASSWORD
    return {"password": password} if password else {}


def connect(**options: Any) -> redis.Redis:
    """A client of the primary; ``options`` are redis-py's (timeouts...)."""
    if not settings.REDIS_SENTINELS:
        return redis.Redis.from_url(settings.REDIS_URL, **options)
    from redis.sentinel import Sentinel

    sentinel = Sentinel(
        settings.REDIS_SENTINELS,
        sentinel_kwargs={**_sentinel_kwargs(), **_timeouts(options)},
    )
    return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **_primary_credentials(), **options)


def connect_async(**options: Any) -> aioredis.Redis:
    """The asyncio client of the primary."""
    if not settings.REDIS_SENTINELS:
        return aioredis.Redis.from_url(settings.REDIS_URL, **options)
    from redis.asyncio.sentinel import Sentinel

    sentinel = Sentinel(
        settings.REDIS_SENTINELS,
        sentinel_kwargs={**_sentinel_kwargs(), **_timeouts(options)},
    )
    return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **_primary_credentials(), **options)


def _timeouts(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in ("socket_timeout", "socket_connect_timeout")}
