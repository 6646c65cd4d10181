"""Per-process caches of what the database says and rarely changes: the brand a host name reaches,
a brand's wallet configuration and bet settings, a brand's compiled offer, account ids.

Each entry lives ``ttl_s`` seconds (``None``: for the life of the process, for ids that never
change). Caches are read on every request, so a hit is one dict lookup and, with a time to live,
one clock read, with no lock: entries are never changed in place (a write replaces them) and each
read or write is one dict operation, atomic under the GIL, so the web role's threads share a
cache safely. Two threads missing the same key at once may both load it; the last write stands.

``clear_all()`` empties every cache of the process; the tests call it when they reset the tables.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")
MISSING: Any = object()  # ``get``'s default where None is a value worth caching

_caches: weakref.WeakSet[TtlCache] = weakref.WeakSet()


class TtlCache(Generic[V]):
    """``ttl_s``: seconds, or a function giving them when an entry is written (a setting read
    at run time). ``max_entries``: when full, a write empties the cache first (keys that come
    from outside, such as host names, must not grow memory without bound)."""

    def __init__(
        self,
        name: str,
        *,
        ttl_s: float | Callable[[], float] | None,
        max_entries: int | None = None,
    ) -> None:
        self.name = name
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[Hashable, Any] = {}
        if ttl_s is None:
            # Values are kept as they are, so a hit is the dict's own ``get``.
            self.get = self._entries.get  # type: ignore[method-assign]
        _caches.add(self)

    def get(self, key: Hashable, default: Any = None) -> V | Any:
        """The fresh value of ``key``, or ``default``."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return default

    def put(self, key: Hashable, value: V) -> None:
        if self._max_entries is not None and len(self._entries) >= self._max_entries:
            self._entries.clear()
        if self._ttl_s is None:
            self._entries[key] = value
            return
        ttl_s = self._ttl_s() if callable(self._ttl_s) else self._ttl_s
        self._entries[key] = (time.monotonic() + ttl_s, value)

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        """The fresh value of ``key``, or ``load()``'s, cached."""
        value = self.get(key, MISSING)
        if value is MISSING:
            value = load()
            self.put(key, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, key: Hashable) -> None:
        """Drop ``key``'s entry (its source changed): the next read loads it again."""
        self._entries.pop(key, None)

    def __repr__(self) -> str:
        return f"<TtlCache {self.name}: {len(self._entries)} entries, ttl {self._ttl_s}>"


def clear_all() -> None:
    """Empty every cache of this process."""
    for cache in _caches:
        cache.clear()
