"""The global database and the shard databases.

``DATABASE_URL`` names the global database. Shard k is ``<name>_shard_<k>`` on the same server,
unless ``SHARD_DATABASE_URLS`` lists one URL per shard (so shards can move to other servers by
configuration only).

These URLs carry the application's role: it reads and writes rows and owns nothing, so it cannot
alter or drop a table or trigger, nor truncate one. Migrations (``migrate_all``) and brand
creation connect as the tables' owner instead: ``DATABASE_OWNER_URL`` (its server and
credentials for the shards beside the global database; with ``SHARD_DATABASE_URLS``, its user
and password with each shard's URL, unless ``SHARD_DATABASE_OWNER_URLS`` lists one per shard).
Without an owner URL, the one role does both (development, the test suite).
"""

from django.core.exceptions import ImproperlyConfigured

from betting.env import (
    database_from_url,
    env_int,
    env_list,
    env_str,
    with_credentials,
    with_database_name,
)
from betting.settings.limits import DB_CONNECT_TIMEOUT_S, database_session_options

DATABASE_URL = env_str("DATABASE_URL", "postgresql://postgres@localhost:5432/betting")
SHARD_COUNT = env_int("SHARD_COUNT", 2)
if not 1 <= SHARD_COUNT <= 1024:
    raise ImproperlyConfigured("SHARD_COUNT must be between 1 and 1024")

_shard_urls = env_list("SHARD_DATABASE_URLS", [])
if _shard_urls and len(_shard_urls) != SHARD_COUNT:
    raise ImproperlyConfigured(
        f"SHARD_DATABASE_URLS lists {len(_shard_urls)} databases but SHARD_COUNT is {SHARD_COUNT}"
    )
_global = database_from_url(DATABASE_URL, engine="django_tenants.postgresql_backend")
_derived_shards = not _shard_urls
if not _shard_urls:
    _shard_urls = [
        with_database_name(DATABASE_URL, f"{_global['NAME']}_shard_{k}") for k in range(SHARD_COUNT)
    ]


def _limited(entry: dict) -> dict:
    """The role's time limits (``betting.settings.limits``) on every connection, and a bounded
    wait to connect: a database that does not answer fails a request instead of hanging it."""
    options = f"{entry['OPTIONS'].get('options', '')} {database_session_options()}".strip()
    extra = {"options": options} if options else {}
    return {
        **entry,
        "OPTIONS": {"connect_timeout": DB_CONNECT_TIMEOUT_S, **entry["OPTIONS"], **extra},
    }


# A connection pool per process and database. Requests run on many threads (granian's threads
# in web start and stop with the load; under ASGI, in sockets, each request's code runs in a
# thread of its own), so per-thread persistent connections (CONN_MAX_AGE) would pile up; the
# pool shares a bounded set among the threads, and a connection goes back to it at request end.
_POOL = {
    "min_size": env_int("DB_POOL_MIN", 1),
    "max_size": env_int("DB_POOL_MAX", 10),
    "timeout": env_int("DB_POOL_TIMEOUT", 10),
    "max_idle": 60,
}


def _pooled(entry: dict) -> dict:
    """DB_POOL_MAX=0 turns the pool off: each thread then keeps one persistent connection
    (``DB_CONN_MAX_AGE`` seconds, checked before reuse). The worker roles run this way, since
    Celery closes pools around every task; so does anything behind a transaction-pooling
    PgBouncer (``DB_CONN_MAX_AGE=0``)."""
    if _POOL["max_size"] <= 0:
        return {**entry, "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60), "CONN_HEALTH_CHECKS": True}
    return {**entry, "CONN_MAX_AGE": 0, "OPTIONS": {**entry["OPTIONS"], "pool": dict(_POOL)}}


# Statements that run through a server-binding cursor (``shards.prepared``: placing a bet) are
# prepared on a connection once they have run this many times on it; Django's own cursors bind
# on the client and never prepare. Prepared statements (and PL/pgSQL's) then use generic plans:
# they are key lookups whose plan does not depend on the values, and planning them again for
# each bet cost PostgreSQL more than running them. 0 turns both off, for a transaction-pooling
# PgBouncer older than 1.21 (which keeps neither prepared statements nor startup options).
_PREPARE_AFTER = env_int("DB_PREPARE_THRESHOLD", 5)


def _prepared(entry: dict) -> dict:
    if _PREPARE_AFTER <= 0:
        return {**entry, "OPTIONS": {**entry["OPTIONS"], "prepare_threshold": None}}
    options = f"{entry['OPTIONS'].get('options', '')} -c plan_cache_mode=force_generic_plan"
    return {
        **entry,
        "OPTIONS": {
            **entry["OPTIONS"],
            "prepare_threshold": _PREPARE_AFTER,
            "options": options.strip(),
        },
    }


DATABASES = {
    "default": _pooled(_limited(_global)),
    **{
        f"shard_{k}": _prepared(
            _pooled(_limited(database_from_url(url, engine="django.db.backends.postgresql")))
        )
        for k, url in enumerate(_shard_urls)
    },
}
for _db in DATABASES.values():
    _db["TEST"] = {"NAME": _db["NAME"]}

# The owner's connection for each alias (empty: no separate owner), given only to the process that
# migrates (docker/: the migrate job alone has DATABASE_OWNER_URL in its environment).
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
_owner_shard_urls = env_list("SHARD_DATABASE_OWNER_URLS", [])
if _owner_shard_urls and len(_owner_shard_urls) != SHARD_COUNT:
    raise ImproperlyConfigured(
        f"SHARD_DATABASE_OWNER_URLS lists {len(_owner_shard_urls)} databases "
        f"but SHARD_COUNT is {SHARD_COUNT}"
    )
if _owner_shard_urls and not DATABASE_OWNER_URL:
    raise ImproperlyConfigured("SHARD_DATABASE_OWNER_URLS needs DATABASE_OWNER_URL")
DATABASE_OWNERS: dict[str, dict] = {}
if DATABASE_OWNER_URL:
    DATABASE_OWNERS["default"] = database_from_url(
        DATABASE_OWNER_URL, engine="django_tenants.postgresql_backend"
    )
    if DATABASE_OWNERS["default"]["NAME"] != _global["NAME"]:
        raise ImproperlyConfigured("DATABASE_OWNER_URL must name DATABASE_URL's database")
    for k, url in enumerate(_shard_urls):
        if _owner_shard_urls:
            owner_url = _owner_shard_urls[k]
        elif _derived_shards:
            owner_url = with_database_name(
                DATABASE_OWNER_URL, database_from_url(url, engine="")["NAME"]
            )
        else:
            owner_url = with_credentials(url, of=DATABASE_OWNER_URL)
        DATABASE_OWNERS[f"shard_{k}"] = database_from_url(
            owner_url, engine="django.db.backends.postgresql"
        )

DATABASE_ROUTERS = ["shards.router.HomeRouter", "django_tenants.routers.TenantSyncRouter"]

# Homes of the apps whose models do not inherit one of the bases in shards.models.
DATA_HOMES = {
    "contenttypes": "global",
    "auth": "global",
    "admin": "global",
    "sessions": "global",
    "brands": "global",
    # Staff data, beside the staff (public schema for the platform's, a brand's schema for its).
    "otp_totp": "global",
    "axes": "global",
    "staff": "global",
}
