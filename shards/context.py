"""The shard a piece of background work runs for, restored explicitly by whoever runs it.

Web requests name their shard through the player's id (``Model.objects.for_entity(id)``); a task
or a consumer that works on one shard says so with ``on_shard(k)``. The value is a context
variable, set and reset in one ``with`` block, never left behind for the next job.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from shards import map as shard_map

_current: contextvars.ContextVar[int | None] = contextvars.ContextVar("shard", default=None)


@contextlib.contextmanager
def on_shard(shard: int) -> Iterator[str]:
    """Run the block with ``shard`` as the shard for shard models that were not given one."""
    db = shard_map.alias(shard)
    token = _current.set(shard)
    try:
        yield db
    finally:
        _current.reset(token)


def current() -> int | None:
    return _current.get()
