"""An event's current odds and status as pages and sockets show them, read from the cache.

The cache (``catalog.live``) is filled by the adapters as changes commit; an event not in it (a
cold cache, a restarted Redis) is read from the catalog once and cached.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from apps.catalog import live
from apps.catalog.models import Event, Market
from apps.catalog.offering import Offer

FILLED = b"f"  # set once an event's hash holds every line (a fill ran)


class CachedLine(NamedTuple):
    """A market line as the cache holds it (``live.market_list``: a JSON list in this order)."""

    id: int
    market_id: int
    specifiers: str
    status: int
    producer: int
    ts: int
    outcomes: list[dict[str, Any]]


def _fill(event: Event) -> dict[bytes, bytes]:
    """Fill the event's cache entry from the catalog without overwriting what the adapter wrote
    meanwhile (its writes are newer than this read): fields are only added, never replaced."""
    rows = Market.objects.filter(event=event).values_list(
        "id", "market_id", "specifiers", "status", "producer", "ts", "outcomes", "suspended"
    )
    mapping: dict[str, str] = {
        "s": json.dumps(
            {
                "status": event.status,
                "live": event.live,
                "home_score": event.home_score,
                "away_score": event.away_score,
                "match_status": event.match_status,
                "match_time": event.match_time,
                "ts": event.status_ts,
            }
        ),
        "d": json.dumps(
            {"event": event.suspended, "markets": [pk for pk, *_, suspended in rows if suspended]}
        ),
    }
    for pk, market_id, specifiers, status, producer, ts, outcomes, _ in rows:
        mapping[live.market_field(market_id, specifiers)] = json.dumps(
            [pk, market_id, specifiers, status, producer, ts, outcomes]
        )
    pipe = live.client().pipeline(transaction=False)
    key = live.event_key(event.id)
    for field, value in mapping.items():
        pipe.hsetnx(key, field, value)
    pipe.hset(key, FILLED.decode(), "1")
    pipe.hgetall(key)
    return pipe.execute()[-1]


def cached(event: Event) -> tuple[dict[str, Any], list[CachedLine], dict[str, Any]]:
    """(status, market rows, desk suspensions) of an event, from the cache."""
    raw = live.client().hgetall(live.event_key(event.id))
    if FILLED not in raw or b"s" not in raw:
        raw = _fill(event)
    status = json.loads(raw[b"s"])
    desk = json.loads(raw.get(b"d") or b'{"event": false, "markets": []}')
    rows = [CachedLine._make(json.loads(v)) for k, v in raw.items() if k.startswith(b"m:")]
    rows.sort(key=lambda r: (r.market_id, r.specifiers))
    return status, rows, desk


def write_desk(event: Event) -> None:
    """The trading desk's suspensions of an event changed: update its cache entry."""
    suspended = list(
        Market.objects.filter(event=event, suspended=True).values_list("id", flat=True)
    )
    live.client().hset(
        live.event_key(event.id),
        "d",
        json.dumps({"event": event.suspended, "markets": suspended}),
    )


def view(event: Event, offer: Offer, *, producers_down: set[int]) -> dict[str, Any]:
    """What the brand's players see of ``event`` now: status, score and offered lines."""
    status, rows, desk = cached(event)
    closed = desk["event"] or offer.event_suspended(
        sport=event.sport.urn,
        tournament=event.tournament.urn if event.tournament_id else None,
        event=event.urn,
    )
    return {
        "type": "odds",
        "event": event.id,
        "ts": max([status.get("ts") or 0] + [r.ts for r in rows]),
        "status": status,
        "closed": closed,
        "markets": offer.lines(
            event.urn,
            rows,
            closed=closed,
            producers_down=producers_down,
            desk_suspended=set(desk["markets"]),
        ),
        "desk_suspended": desk["markets"],
        "full": True,
    }
