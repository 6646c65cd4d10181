"""Redis: the cache, the session store and the Channels layer."""

from betting.env import env_str
from betting.settings.limits import REDIS_CLIENT_OPTIONS

REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")
# Every key the platform writes starts with this, so installations can share a Redis database.
REDIS_PREFIX = env_str("REDIS_PREFIX", "betting")

CACHES = {
    "default": {
        "BACKEND": "betting.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_PREFIX,
        "TIMEOUT": 300,
        # Sessions live here: a Redis that does not answer fails the request (503) within the
        # role's socket timeout instead of holding it (betting.settings.limits).
        "OPTIONS": dict(REDIS_CLIENT_OPTIONS),
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
            "hosts": [{"address": REDIS_URL, **REDIS_CLIENT_OPTIONS}],
            "prefix": f"{REDIS_PREFIX}:ws:",
        },
    },
}
