"""Sessions in the Redis cache, where a Redis that does not answer is an outage, not a logout.

Django's cache session store reads a failing cache as "no session" (it resets the session, for
caches that refuse odd keys): while Redis is down or frozen every logged-in player would be
treated as a visitor, asked to log in, and refused with misleading errors. Here a Redis
connection or time-out error propagates, and the request answers 503 (``apps.ops.unavailable``);
the player's session is intact when Redis answers again.
"""

from __future__ import annotations

import redis
from django.contrib.sessions.backends import cache

UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class SessionStore(cache.SessionStore):
    def load(self) -> dict:
        try:
            session_data = self._cache.get(self.cache_key)
        except UNREACHABLE:
            raise
        except Exception:  # a key the cache refuses: a fresh session, as Django's own store does
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    async def aload(self) -> dict:
        try:
            session_data = await self._cache.aget(await self.acache_key())
        except UNREACHABLE:
            raise
        except Exception:  # as in load()
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
