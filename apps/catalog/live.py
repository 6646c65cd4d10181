"""Live odds: the Redis cache pages render from, and coalesced pushes to the event's sockets.

After a batch of feed changes commits, the adapter hands them here. The cache (one Redis hash per
event: its status and one field per market line) is written at once, in one pipeline. Pushes are
coalesced per event: the first change of an event goes out immediately, later ones within
``interval`` are merged (the newest state of each line wins) and go out together when the
interval ends, so a busy event costs its sockets at most one push per interval.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import redis
from django.conf import settings

log = logging.getLogger(__name__)

PUSH_TYPE = "catalog.odds"
DEFAULT_INTERVAL_S = 0.1


def odds_channel(event_id: int) -> str:
    """The Redis pub/sub channel an event's pushes are published on (the gateway listens)."""
    return _key("odds", event_id)


def _key(*parts: Any) -> str:
    return ":".join([settings.REDIS_PREFIX, "catalog", *map(str, parts)])


def event_key(event_id: int) -> str:
    return _key("event", event_id)


def producers_key() -> str:
    return _key("producers")


_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return _client


def publish_refresh(event_ids) -> None:
    """Tell the open pages of these events to re-read them (the desk acted, a video changed)."""
    for event_id in set(event_ids):
        message = {"type": PUSH_TYPE, "event": event_id, "ts": 0, "status": None, "markets": [],
                   "refresh": True}  # fmt: skip
        client().publish(odds_channel(event_id), json.dumps(message))


def market_field(market_id: int, specifiers: str) -> str:
    return f"m:{market_id}:{specifiers}"


def status_dict(row: tuple) -> dict[str, Any]:
    """An event status row (store's RETURNING order) as the cache and pushes carry it."""
    _id, _urn, _sport, status, live, home, away, match_status, match_time, ts = row
    return {
        "status": status,
        "live": live,
        "home_score": home,
        "away_score": away,
        "match_status": match_status,
        "match_time": match_time,
        "ts": ts,
    }


def market_list(row: tuple) -> list:
    """A market row as cached and pushed: [id, market_id, specifiers, status, producer, ts,
    outcomes]."""
    market_pk, _event, market_id, specifiers, status, producer, ts, outcomes = row
    if isinstance(outcomes, str):
        outcomes = json.loads(outcomes)
    return [market_pk, market_id, specifiers, status, producer, ts, outcomes]


def forget(event_ids: set[int]) -> None:
    """Drop events' cache entries (after a failed write): the next read refills them."""
    if event_ids:
        client().delete(*(event_key(i) for i in event_ids))


def touched_events(changes: Any) -> set[int]:
    return {row[1] for row in changes.markets} | {row[0] for row in changes.events}


def write_cache(changes: Any) -> None:
    """Write a committed batch's markets and statuses to the cache, in one round trip."""
    fields: dict[int, dict[str, str]] = {}
    for row in changes.markets:
        item = market_list(row)
        fields.setdefault(row[1], {})[market_field(item[1], item[2])] = json.dumps(item)
    for row in changes.events:
        fields.setdefault(row[0], {})["s"] = json.dumps(status_dict(row))
    pipe = client().pipeline(transaction=False)
    for event_id, mapping in fields.items():
        pipe.hset(event_key(event_id), mapping=mapping)
    pipe.execute()


def set_producer(provider: str, producer: int, *, down: bool) -> None:
    client().hset(producers_key(), f"{provider}:{producer}", "1" if down else "0")


def producers_down(provider: str) -> set[int]:
    return down_in(client().hgetall(producers_key()), provider)


def down_in(raw: dict[bytes, bytes], provider: str) -> set[int]:
    """The provider's producers marked down, from the producers hash as read from Redis."""
    prefix = f"{provider}:".encode()
    return {int(k[len(prefix) :]) for k, v in raw.items() if k.startswith(prefix) and v == b"1"}


class Coalescer:
    """Per-event push throttle: leading edge at once, then at most one push per interval."""

    def __init__(self, interval: float = DEFAULT_INTERVAL_S) -> None:
        self.interval = interval
        self._pending: dict[int, dict[str, Any]] = {}
        self._last: dict[int, float] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="live-odds", daemon=True)
        self._thread.start()

    def add(
        self, changes: Any, *, provider: str | None = None, down: set[int] | None = None
    ) -> None:
        with self._cond:
            for row in changes.markets:
                item = market_list(row)
                entry = self._entry(row[1])
                key = (item[1], item[2])
                old = entry["markets"].get(key)
                if old is None or old[5] <= item[5]:
                    entry["markets"][key] = item
                entry["ts"] = max(entry["ts"], item[5])
            for row in changes.events:
                entry = self._entry(row[0])
                status = status_dict(row)
                if entry["status"] is None or entry["status"]["ts"] <= status["ts"]:
                    entry["status"] = status
                entry["ts"] = max(entry["ts"], status["ts"])
            self._cond.notify()

    def refresh(self, event_ids: list[int]) -> None:
        """Tell the sockets of these events to re-read (a producer went down or came back)."""
        with self._cond:
            for event_id in event_ids:
                self._entry(event_id)["refresh"] = True
            self._cond.notify()

    def _entry(self, event_id: int) -> dict[str, Any]:
        entry = self._pending.get(event_id)
        if entry is None:
            entry = {"markets": {}, "status": None, "ts": 0, "refresh": False}
            self._pending[event_id] = entry
        return entry

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            due: list[tuple[int, dict[str, Any]]] = []
            with self._cond:
                if self._stopped:
                    return
                now = time.monotonic()
                wait = None
                for event_id in list(self._pending):
                    ready_at = self._last.get(event_id, 0.0) + self.interval
                    if ready_at <= now:
                        due.append((event_id, self._pending.pop(event_id)))
                        self._last[event_id] = now
                    else:
                        wait = ready_at - now if wait is None else min(wait, ready_at - now)
                if not due:
                    self._cond.wait(timeout=wait if wait is not None else 1.0)
                    continue
            for event_id, entry in due:
                self._push(event_id, entry)
            if len(self._last) > 50_000:  # forget events long quiet
                cutoff = time.monotonic() - 60
                self._last = {k: v for k, v in self._last.items() if v > cutoff}

    def _push(self, event_id: int, entry: dict[str, Any]) -> None:
        message = {
            "type": PUSH_TYPE,
            "event": event_id,
            "ts": entry["ts"],
            "status": entry["status"],
            "markets": list(entry["markets"].values()),
            "refresh": entry["refresh"],
        }
        try:
            client().publish(odds_channel(event_id), json.dumps(message, separators=(",", ":")))
        except redis.RedisError as exc:  # a push is a hint: pages re-read on their next refresh
            log.warning("push not published", extra={"event": event_id, "error": repr(exc)})
