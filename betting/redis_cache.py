"""Django's Redis cache with one Redis client per process and location.

Django's backend builds a new ``redis.Redis`` for every command (about 170 response callbacks
set up each time), and keeps its connection pools on the backend object, which Django creates
per thread (per request under ASGI): a busy web process paid a client per cache call and, under
ASGI, a new connection per request. Here every backend object with the same location and
options shares one client, and so one connection pool, for the life of the process (redis-py's
pool reopens its connections in a forked child).
"""

from __future__ import annotations

import threading

from django.core.cache.backends import redis as django_redis
from django.utils.functional import cached_property

from betting import redis_clients

_shared: dict[tuple, django_redis.RedisCacheClient] = {}
_lock = threading.Lock()


class _Client(django_redis.RedisCacheClient):
    def __init__(self, servers, sentinel: bool = False, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        # Through the sentinels (REDIS_SENTINELS) to the current primary: one client, whose
        # pool follows a failover.
        self._sentinel = sentinel

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with _lock:
                client = self._clients.get(index)
                if client is None and self._sentinel:
                    client = self._clients[index] = redis_clients.connect(**self._pool_options)
                if client is None:
                    pool = self._pools.get(index) or self._pool_class.from_url(
                        self._servers[index], **self._pool_options
                    )
                    self._pools[index] = pool
                    client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    @cached_property
    def _cache(self) -> django_redis.RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _shared.get(key)
            if client is None:
                client = _shared[key] = _Client(self._servers, **self._options)
        return client


def redis_client(alias: str = "default"):
    """The shared redis-py client behind a cache alias, for what the cache API lacks (scripts,
    sets); keys are still named with the cache's ``make_key`` so they carry its prefix."""
    from django.core.cache import caches

    return caches[alias]._cache.get_client(None, write=True)
