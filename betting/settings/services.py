"""Redis: the cache, the session store and the Channels layer."""

from betting.env import env_str

REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")
# Every key the platform writes starts with this, so installations can share a Redis database.
REDIS_PREFIX = env_str("REDIS_PREFIX", "betting")

CACHES = {
    "default": {
        "BACKEND": "betting.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_PREFIX,
        "TIMEOUT": 300,
    },
}

# Sessions in Redis: no session table, and the web tier stays stateless.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"

# The pub/sub layer: sending to a group is one PUBLISH (no group bookkeeping in Redis), which is
# what the hot paths (every wallet posting pushes the new balance) can afford.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": f"{REDIS_PREFIX}:ws:",
        },
    },
}
