"""Player (and other routable) ids that encode their shard, so routing needs no lookup.

Layout of a positive 64-bit integer, most significant bits first:

    41 bits  milliseconds since ID_EPOCH (about 69 years)
    10 bits  shard number (up to 1024 shards)
    12 bits  per-shard sequence (4096 ids per millisecond per shard)

Ids are allocated inside the shard's own database by ``platform_next_id()``
(``shards/sql/platform_next_id.sql``, which spells these constants out; created by this app's
migration with the shard's number), so the clock and the sequence belong to one server and ids
are ordered by their millisecond (within one millisecond the sequence may wrap).
"""

from __future__ import annotations

import datetime as dt

ID_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
ID_EPOCH_MS = int(ID_EPOCH.timestamp() * 1000)
SEQUENCE_BITS = 12
SHARD_BITS = 10
TIME_BITS = 41
MAX_SHARDS = 1 << SHARD_BITS
_SHARD_MASK = MAX_SHARDS - 1
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1


class InvalidId(ValueError):
    """The value cannot be a platform id."""


def compose(*, millis: int, shard: int, sequence: int) -> int:
    """Build an id from its parts (the database function does the same arithmetic)."""
    if not 0 <= shard < MAX_SHARDS:
        raise InvalidId(f"shard {shard} out of range")
    elapsed = millis - ID_EPOCH_MS
    if not 0 <= elapsed < (1 << TIME_BITS):
        raise InvalidId("timestamp outside the id epoch")
    return (
        (elapsed << (SHARD_BITS + SEQUENCE_BITS))
        | (shard << SEQUENCE_BITS)
        | (sequence & _SEQUENCE_MASK)
    )


def shard_of(entity_id: int) -> int:
    """The shard number an id encodes."""
    if isinstance(entity_id, bool) or not isinstance(entity_id, int) or entity_id <= 0:
        raise InvalidId(f"not a platform id: {entity_id!r}")
    if entity_id >= 1 << 63:
        raise InvalidId(f"not a platform id: {entity_id!r}")
    return (entity_id >> SEQUENCE_BITS) & _SHARD_MASK


def created_at(entity_id: int) -> dt.datetime:
    """When the id was allocated (by its shard's clock)."""
    shard_of(entity_id)
    millis = (entity_id >> (SHARD_BITS + SEQUENCE_BITS)) + ID_EPOCH_MS
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)


def parse(value: object) -> int:
    """Turn untrusted input (a URL part, a JSON field) into a valid id or raise InvalidId."""
    try:
        entity_id = int(str(value), 10)
    except (TypeError, ValueError):
        raise InvalidId(f"not a platform id: {value!r}") from None
    shard_of(entity_id)
    return entity_id
