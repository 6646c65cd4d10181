"""The odds cache: what event pages render from, kept in Redis as the catalog's changes commit.

One Redis hash per event: its status and one field per market line (``snapshot`` fills it from
the catalog when cold), and one hash of the producers' flags (down or up, per provider). After a
batch of feed changes commits (``store.FeedBatch``), its changed lines and statuses are written
here at once, in one pipeline, and handed, as they were written, to the adapter's coalesced
pushes (``realtime.odds``), which the live-odds gateway forwards to the pages' sockets.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from django.conf import settings

from apps.realtime.odds import Coalescer, LinePush, StatusPush
from betting import redis_clients

log = logging.getLogger(__name__)


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
        _client = redis_clients.connect(socket_timeout=2, socket_connect_timeout=2)
    return _client


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


def odds_committed(
    markets: list[Any], events: list[Any], *, pushes: Coalescer | None = None
) -> None:
    """A committed batch's changed market rows and event status rows (``store``'s
    ``MarketChange`` and ``EventChange``): written to the cache in one round trip, then handed to
    ``pushes``."""
    lines = []
    for row in markets:
        field = market_field(row.market_id, row.specifiers)
        lines.append(LinePush(row.event_id, field, row.ts, market_list(row)))
    statuses = [StatusPush(row.id, row.status_ts, status_dict(row)) for row in events]
    if not lines and not statuses:
        return
    try:
        _write(lines, statuses)
    except Exception as exc:
        log.warning("odds cache not written", extra={"error": repr(exc)})
        try:  # stale entries would be served as current: drop them
            forget({x.event_id for x in lines} | {x.event_id for x in statuses})
        except Exception as again:
            log.error("stale odds cache entries kept", extra={"error": repr(again)})
    if pushes is not None:
        pushes.add(lines=lines, statuses=statuses)


def _write(lines: list[LinePush], statuses: list[StatusPush]) -> None:
    fields: dict[int, dict[str, str]] = {}
    for line in lines:
        fields.setdefault(line.event_id, {})[line.key] = json.dumps(line.item)
    for status in statuses:
        fields.setdefault(status.event_id, {})["s"] = json.dumps(status.item)
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
