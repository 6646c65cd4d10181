"""Each shard's replica of the catalog, kept by the events ``catalog.store`` emits.

Each event is applied once per shard (the inbox), inside the same transaction as its effect.
Within the replica every write carries the same timestamp guard as the catalog, so events that
overtake each other (a shard pool runs several at once) still leave each line at its newest
state, and a shard that was down catches up from its queue to the same state as the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connections

from apps.catalog import store
from apps.outbox.services import OutboxEvent, handles

_UPSERT_MARKETS = """
INSERT INTO catalog_replicamarket
    (id, event_id, market_id, specifiers, status, producer, ts, outcomes)
SELECT i, e, m, s, st, p, t, o::jsonb
FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::text[], %s::smallint[], %s::smallint[],
            %s::bigint[], %s::text[]) AS x(i, e, m, s, st, p, t, o)
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status, producer = excluded.producer, ts = excluded.ts,
    outcomes = excluded.outcomes
WHERE catalog_replicamarket.ts < excluded.ts
"""

_UPSERT_EVENTS = """
INSERT INTO catalog_replicaevent (id, urn, sport_id, status, live, start_time, fixture_ts, ts)
SELECT i, u, sp, st, lv, NULL, 0, t
FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::smallint[], %s::bool[], %s::bigint[])
     AS x(i, u, sp, st, lv, t)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, live = excluded.live, ts = excluded.ts
WHERE catalog_replicaevent.ts < excluded.ts
"""

# A fixture (the event's creation: fixture_ts 0, or a start-time change) never replaces a newer
# one; the creation still fills in a row a status update created first, with its provider (the
# provider whose producers open and close its lines).
_UPSERT_FIXTURE = """
INSERT INTO catalog_replicaevent
    (id, urn, sport_id, status, live, start_time, fixture_ts, ts, provider)
VALUES (%s, %s, %s, 0, false, %s, %s, 0, %s)
ON CONFLICT (id) DO UPDATE SET start_time = excluded.start_time, sport_id = excluded.sport_id,
    fixture_ts = excluded.fixture_ts,
    provider = COALESCE(NULLIF(excluded.provider, ''), catalog_replicaevent.provider)
WHERE catalog_replicaevent.fixture_ts <= excluded.fixture_ts
"""

_INSERT_RESULTS = """
INSERT INTO catalog_replicaresult
    (id, event_id, market_id, specifiers, kind, ts, certainty, outcomes, start_time, end_time,
     received_at)
SELECT i, e, m, s, k, t, c, o::jsonb, st, et, now()
FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::text[], %s::text[], %s::bigint[],
            %s::smallint[], %s::text[], %s::bigint[], %s::bigint[])
     AS x(i, e, m, s, k, t, c, o, st, et)
ON CONFLICT (id) DO NOTHING
RETURNING id, event_id, market_id, specifiers, kind, ts, certainty, outcomes, start_time, end_time
"""

ResultHook = Callable[..., None]  # hook(*, results: list[dict[str, Any]], using: str)
_result_hooks: list[ResultHook] = []


def on_results(hook: ResultHook) -> ResultHook:
    """Register ``hook(results=..., using=...)``: called with the results this shard receives
    for the first time, in the transaction that records them (products settle from them)."""
    if hook not in _result_hooks:
        _result_hooks.append(hook)
    return hook


def _columns(rows: list[list[Any]], count: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(count)]


@handles(store.MARKETS_TOPIC, tier="shard")
def apply_markets(event: OutboxEvent, using: str) -> None:
    payload = event.payload
    with connections[using].cursor() as cursor:
        for fixture in payload.get("fixtures", []):
            # id, urn, sport_id, start_time, fixture_ts, provider (a fixture replicated before
            # fixtures carried their provider has five fields: its provider is not known)
            cursor.execute(_UPSERT_FIXTURE, [*fixture, ""][:6])
        events = payload.get("events") or []
        if events:
            ids, urns, sports, statuses, lives, *_, ts = _columns(events, 10)
            cursor.execute(_UPSERT_EVENTS, [ids, urns, sports, statuses, lives, ts])
        markets = payload.get("markets") or []
        if markets:
            # id, event_id, market_id, specifiers, status, producer, ts, outcomes
            *cols, outcomes = _columns(markets, 8)
            outcomes = [json.dumps(o, separators=(",", ":")) for o in outcomes]
            cursor.execute(_UPSERT_MARKETS, [*cols, outcomes])


@handles(store.RESULTS_TOPIC, tier="shard")
def apply_results(event: OutboxEvent, using: str) -> None:
    rows = event.payload.get("results") or []
    if not rows:
        return
    # id, event_id, market_id, specifiers, kind, ts, certainty, outcomes, start_time, end_time
    *head, outcomes, start_times, end_times = _columns(rows, 10)
    outcomes = [json.dumps(o, separators=(",", ":")) for o in outcomes]
    with connections[using].cursor() as cursor:
        cursor.execute(_INSERT_RESULTS, [*head, outcomes, start_times, end_times])
        fields = [c.name for c in cursor.description]
        new = [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
    for result in new:
        if isinstance(result["outcomes"], str):
            result["outcomes"] = json.loads(result["outcomes"])
    new.sort(key=lambda r: (r["ts"], r["id"]))
    for hook in _result_hooks:
        hook(results=new, using=using)


@handles(store.PRODUCER_TOPIC, tier="shard")
def apply_producer(event: OutboxEvent, using: str) -> None:
    p = event.payload
    with connections[using].cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_replicaproducer (provider, producer, down, version) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (provider, producer) DO UPDATE "
            "SET down = excluded.down, version = excluded.version "
            "WHERE catalog_replicaproducer.version < excluded.version",
            [p["provider"], p["producer"], p["down"], p["version"]],
        )


@handles(store.DESK_TOPIC, tier="shard")
def apply_desk(event: OutboxEvent, using: str) -> None:
    """Kept by target id, whether or not the event or line has reached this replica yet."""
    p = event.payload
    targets = [("event", i) for i in p.get("events", [])] + [
        ("market", i) for i in p.get("markets", [])
    ]
    if not targets:
        return
    with connections[using].cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_replicadesk (kind, target_id, suspended, version) "
            "SELECT k, i, %s, %s FROM unnest(%s::text[], %s::bigint[]) AS x(k, i) "
            "ON CONFLICT (kind, target_id) DO UPDATE "
            "SET suspended = excluded.suspended, version = excluded.version "
            "WHERE catalog_replicadesk.version < excluded.version",
            [p["suspended"], p["version"], [k for k, _ in targets], [i for _, i in targets]],
        )
