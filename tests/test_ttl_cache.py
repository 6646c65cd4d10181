"""The per-process TTL cache: fresh entries are hits, stale ones misses, None is a value worth
keeping, a full cache starts over, and clear_all empties every cache."""

from __future__ import annotations

import time

from betting import ttl_cache
from betting.ttl_cache import MISSING, TtlCache


def test_an_entry_is_a_hit_until_its_time_to_live_has_passed():
    cache: TtlCache[str] = TtlCache("test", ttl_s=0.05)
    cache.put("a", "x")
    assert cache.get("a") == "x"
    time.sleep(0.06)
    assert cache.get("a") is None
    assert cache.get_or_load("a", lambda: "y") == "y"
    assert cache.get("a") == "y"


def test_none_is_cached_and_told_apart_from_a_miss():
    cache: TtlCache[str | None] = TtlCache("test", ttl_s=10)
    assert cache.get("unknown", MISSING) is MISSING
    cache.put("unknown", None)
    assert cache.get("unknown", MISSING) is None
    loads = []
    assert cache.get_or_load("unknown", lambda: loads.append(1)) is None
    assert loads == []


def test_the_time_to_live_may_be_read_when_an_entry_is_written():
    ttl = [10.0]
    cache: TtlCache[int] = TtlCache("test", ttl_s=lambda: ttl[0])
    cache.put("a", 1)
    ttl[0] = 0.0
    cache.put("b", 2)
    assert (cache.get("a"), cache.get("b")) == (1, None)


def test_without_a_time_to_live_entries_stay_and_a_full_cache_starts_over():
    cache: TtlCache[int] = TtlCache("test", ttl_s=None, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert (cache.get("a"), cache.get("b")) == (1, 2)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, None, 3)


def test_clear_all_empties_every_cache():
    first: TtlCache[int] = TtlCache("first", ttl_s=60)
    second: TtlCache[int] = TtlCache("second", ttl_s=None)
    first.put("a", 1)
    second.put("a", 2)
    ttl_cache.clear_all()
    assert (first.get("a"), second.get("a")) == (None, None)
