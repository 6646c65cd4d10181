"""Redis: the cache, the session store and the Channels layer.

``REDIS_URL`` names the server, or with ``REDIS_SENTINELS`` (``host:port,host:port``) the
sentinels name the primary of ``REDIS_SENTINEL_MASTER`` and ``REDIS_URL`` gives only the user,
password and database number (``betting.redis_clients``).
"""

from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url

from betting.env import env_list, env_str
from betting.settings.limits import REDIS_CLIENT_OPTIONS

REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")


def _sentinel(entry: str) -> tuple[str, int]:
    host, _, port = entry.rpartition(":")
    if not host or not port.isascii() or not port.isdigit():
        raise ImproperlyConfigured(f"REDIS_SENTINELS entries are host:port, not {entry!r}")
    return host.strip("[]"), int(port)


REDIS_SENTINELS = [_sentinel(entry) for entry in env_list("REDIS_SENTINELS", [])]
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER", "betting")
REDIS_SENTINEL_PASSWORD = env_str("REDIS_SENTINEL_PASSWORD")
_primary = {
    k: v for k, v in parse_url(REDIS_URL).items() if k in ("username", "password", "db") and v
}
# Every key the platform writes starts with this, so installations can share a Redis database.
REDIS_PREFIX = env_str("REDIS_PREFIX", "betting")

CACHES = {
    "default": {
        "BACKEND": "betting.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_PREFIX,
        "TIMEOUT": 300,
        # Sessions live here: a Redis that does not answer fails the request (503) within the
        # role's socket timeout instead of holding it (betting.settings.limits). ``sentinel``:
        # through REDIS_SENTINELS to the primary (betting.redis_cache).
        "OPTIONS": {**REDIS_CLIENT_OPTIONS, "sentinel": bool(REDIS_SENTINELS)},
    },
}

# Sessions in Redis: no session table, and the web tier stays stateless; a Redis that does not
# answer fails the request (503) rather than logging the player out (betting.redis_sessions).
SESSION_ENGINE = "betting.redis_sessions"
SESSION_CACHE_ALIAS = "default"

# The pub/sub layer: sending to a group is one PUBLISH (no group bookkeeping in Redis), which is
# what the hot paths (every wallet posting pushes the new balance) can afford.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "master_name": REDIS_SENTINEL_MASTER,
                    "sentinels": REDIS_SENTINELS,
                    "sentinel_kwargs": (
                        {"password": REDIS_SENTINEL_PASSWORD} if REDIS_SENTINEL_PASSWORD else None
                    ),
                    **_primary,
                    **REDIS_CLIENT_OPTIONS,
                }
                if REDIS_SENTINELS
                else {"address": REDIS_URL, **REDIS_CLIENT_OPTIONS}
            ],
            "prefix": f"{REDIS_PREFIX}:ws:",
        },
    },
}
