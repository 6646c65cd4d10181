"""Which sessions a player has, so that they can be ended from outside them.

Sessions live in Redis (the cache backend) under keys only their cookie knows. Each login adds
its session key to the player's set (kept as long as the longest session may live); a new
password, a new e-mail address or a blocked account deletes the sessions in the set at once.
Nothing is read on an ordinary request.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.cache import cache

from betting.redis_cache import redis_client


def _key(player_id: int) -> str:
    return cache.make_key(f"player-sessions:{player_id}")


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_register(*, player_id: int, session_key: str) -> None:
    key = _key(player_id)
    with redis_client().pipeline(transaction=True) as pipe:
        pipe.sadd(key, session_key)
        pipe.expire(key, settings.SESSION_COOKIE_AGE)
        pipe.execute()


def session_keys(*, player_id: int) -> set[str]:
    return {k.decode() for k in redis_client().smembers(_key(player_id))}


def sessions_end(*, player_id: int, keep: str | None = None) -> int:
    """Delete every session of the player but ``keep``; the number deleted."""
    ended = 0
    store = _store()
    for session_key in session_keys(player_id=player_id):
        if session_key == keep:
            continue
        store(session_key=session_key).delete()
        redis_client().srem(_key(player_id), session_key)
        ended += 1
    return ended
