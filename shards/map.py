"""The shard map: how many shards there are, their database aliases and the worker queues.

Shard k lives in the database alias ``shard_k`` and is worked by the pool consuming the queue
``shard.k``. The number of shards is ``settings.SHARD_COUNT``.
"""

from __future__ import annotations

from django.conf import settings

from shards import ids

ALIAS_PREFIX = "shard_"
GLOBAL_ALIAS = "default"


class UnknownShard(LookupError):
    """An id or alias names a shard this installation does not have."""


def shard_count() -> int:
    return int(settings.SHARD_COUNT)


def alias(shard: int) -> str:
    if not 0 <= shard < shard_count():
        raise UnknownShard(f"shard {shard} does not exist (SHARD_COUNT={shard_count()})")
    return f"{ALIAS_PREFIX}{shard}"


def aliases() -> list[str]:
    return [alias(k) for k in range(shard_count())]


def is_shard_alias(db: str) -> bool:
    return db.startswith(ALIAS_PREFIX) and db[len(ALIAS_PREFIX) :].isdigit()


def number_of(db: str) -> int:
    """The shard number of a database alias, or UnknownShard."""
    if not is_shard_alias(db):
        raise UnknownShard(f"{db!r} is not a shard database alias")
    shard = int(db[len(ALIAS_PREFIX) :])
    alias(shard)
    return shard


def alias_for(entity_id: int) -> str:
    """The database alias holding everything about the player (or other entity) ``entity_id``."""
    return alias(ids.shard_of(entity_id))
