"""Writing feed changes to the catalog: set-based, guarded by provider timestamps, replicated.

A ``FeedBatch`` gathers the changes of many feed messages and writes them inside one
transaction on the global database: market lines in one upsert, event statuses in one update,
results in one insert. Every write is guarded by the provider's timestamp, so applying the same
message twice, or an older one after a newer one, changes nothing; the order in which a batch's
statements run does not matter either, because each market line keeps the newest state.

What changed (the rows the guarded statements returned) is replicated to every shard through the
outbox in the same transaction. Once that commits (the caller's transaction, when the batch is
written inside one), the batch does its own after-commit work: the changed lines and statuses go
to the odds cache and to the batch's coalesced pushes (``live.odds_committed``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.db import connections, transaction

from apps.catalog import live
from apps.catalog.models import CANCELLED, HANDED_OVER, SETTLED, SUSPENDED
from apps.outbox.services import outbox_emit
from apps.realtime.odds import Coalescer
from shards.map import GLOBAL_ALIAS

MARKETS_TOPIC = "catalog.markets"
RESULTS_TOPIC = "catalog.results"
PRODUCER_TOPIC = "catalog.producer"
DESK_TOPIC = "catalog.desk"
AUDIENCE = "shards"


@dataclass(frozen=True)
class Line:
    """The state of one market line as a feed message gives it."""

    event_id: int
    market_id: int
    specifiers: str
    status: int
    producer: int
    ts: int
    favourite: bool = False
    outcomes: tuple[dict[str, Any], ...] = ()  # empty: keep the line's outcomes
    handed_over_by: int | None = None  # set by the batch: the producer that handed it over

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.event_id, self.market_id, self.specifiers)


@dataclass(frozen=True)
class EventState:
    event_id: int
    ts: int
    status: int
    live: bool
    home_score: int | None = None
    away_score: int | None = None
    match_status: int | None = None
    match_time: str = ""


@dataclass(frozen=True)
class ResultRow:
    event_id: int
    market_id: int
    specifiers: str
    kind: str  # settle, rollback_settle, cancel, rollback_cancel
    producer: int
    ts: int
    certainty: int | None = None
    outcomes: tuple[dict[str, Any], ...] = ()
    void_reason: int | None = None
    start_time: int | None = None
    end_time: int | None = None


# What a result does to its market line's status.
_RESULT_STATUS = {
    "settle": SETTLED,
    "cancel": CANCELLED,
    "rollback_settle": SUSPENDED,
    "rollback_cancel": SUSPENDED,
}


class StartMoved(NamedTuple):
    """A fixture change: the event's start time (ms) as of the provider's ``ts``."""

    ts: int
    start_ms: int


# What the guarded statements return, in their RETURNING order (the live layer and the replicas'
# payloads take them by position too).


class MarketChange(NamedTuple):
    id: int
    event_id: int
    market_id: int
    specifiers: str
    status: int
    producer: int
    ts: int
    outcomes: Any  # the outcomes' list (JSON text until the batch decodes it)


class EventChange(NamedTuple):
    id: int
    urn: str
    sport_id: int
    status: int
    live: bool
    home_score: int | None
    away_score: int | None
    match_status: int | None
    match_time: str
    status_ts: int


class FixtureChange(NamedTuple):
    id: int
    urn: str
    sport_id: int
    start_time: Any  # an aware datetime, or None
    fixture_ts: int
    provider: str


class ResultChange(NamedTuple):
    id: int
    event_id: int
    market_id: int
    specifiers: str
    kind: str
    ts: int
    certainty: int | None
    outcomes: Any
    start_time: int | None
    end_time: int | None


@dataclass
class Changes:
    """What a batch changed, as the guarded statements returned it."""

    markets: list[MarketChange] = field(default_factory=list)
    events: list[EventChange] = field(default_factory=list)
    results: list[ResultChange] = field(default_factory=list)
    fixtures: list[FixtureChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.markets or self.events or self.results or self.fixtures)


_UPSERT_LINES = """
INSERT INTO catalog_market
    (event_id, market_id, specifiers, status, producer, ts, favourite, outcomes, suspended,
     handed_over_by)
SELECT e, m, s, st, p, t, f, o, false, hb
FROM jsonb_to_recordset(%s::jsonb)
     AS x(e bigint, m int, s text, st smallint, p smallint, t bigint, f bool, o jsonb, hb smallint)
ON CONFLICT (event_id, market_id, specifiers) DO UPDATE SET
    status = excluded.status,
    producer = excluded.producer,
    ts = excluded.ts,
    favourite = excluded.favourite,
    outcomes = CASE WHEN jsonb_array_length(excluded.outcomes) > 0
                    THEN excluded.outcomes ELSE catalog_market.outcomes END,
    handed_over_by = COALESCE(catalog_market.handed_over_by, excluded.handed_over_by)
WHERE catalog_market.ts < excluded.ts
  -- a line handed over to another producer no longer listens to the one that handed it over
  AND catalog_market.handed_over_by IS DISTINCT FROM excluded.producer
RETURNING id, event_id, market_id, specifiers, status, producer, ts, outcomes
"""

# A bet stop moves every older line of its producer (in its groups) to the stop's time, and
# suspends the active ones: odds older than the stop, arriving later, cannot reopen a line.
_SUSPEND = """
UPDATE catalog_market
SET status = CASE WHEN status = 1 THEN %s ELSE status END, ts = %s
WHERE event_id = %s AND producer = %s AND ts < %s
  AND (%s::int[] IS NULL OR market_id = ANY(%s))
RETURNING id, event_id, market_id, specifiers, status, producer, ts, outcomes
"""

_HANDED_OVER = """
SELECT event_id, market_id, specifiers, handed_over_by FROM catalog_market
WHERE handed_over_by IS NOT NULL
  AND (event_id, market_id, specifiers) IN (
      SELECT * FROM unnest(%s::bigint[], %s::int[], %s::text[]))
"""

_EVENT_STATUS = """
UPDATE catalog_event AS ev SET
    status = x.st, live = x.lv, home_score = x.hs, away_score = x.aws, match_status = x.ms,
    match_time = x.mt, status_ts = x.t, updated_at = now()
FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::bool[], %s::int[], %s::int[],
            %s::int[], %s::text[]) AS x(id, t, st, lv, hs, aws, ms, mt)
WHERE ev.id = x.id AND ev.status_ts < x.t
RETURNING ev.id, ev.urn, ev.sport_id, ev.status, ev.live, ev.home_score, ev.away_score,
          ev.match_status, ev.match_time, ev.status_ts
"""

_FIXTURES = """
UPDATE catalog_event AS ev SET start_time = to_timestamp(x.ms / 1000.0), fixture_ts = x.t,
    updated_at = now()
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS x(id, t, ms)
WHERE ev.id = x.id AND ev.fixture_ts < x.t
RETURNING ev.id, ev.urn, ev.sport_id, ev.start_time, ev.fixture_ts, ev.provider
"""

_INSERT_RESULTS = """
INSERT INTO catalog_result
    (event_id, market_id, specifiers, kind, producer, ts, certainty, outcomes, void_reason,
     start_time, end_time, received_at)
SELECT e, m, s, k, p, t, c, o::jsonb, vr, st, et, now()
FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::smallint[], %s::bigint[],
            %s::smallint[], %s::text[], %s::int[], %s::bigint[], %s::bigint[])
     AS x(e, m, s, k, p, t, c, o, vr, st, et)
ON CONFLICT (event_id, market_id, specifiers, kind, ts) DO NOTHING
RETURNING id, event_id, market_id, specifiers, kind, ts, certainty, outcomes, start_time,
          end_time
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _with_outcomes(row: MarketChange | ResultChange, outcomes: Any):
    """``row`` with its outcomes decoded (``_replace`` without its cost: this is the odds path)."""
    at = row._fields.index("outcomes")
    return tuple.__new__(type(row), (*row[:at], _json(outcomes), *row[at + 1 :]))


def _newest(items: Iterable, key) -> list:
    """One item per key: the one with the newest ``ts`` (the later one on a tie)."""
    best: dict = {}
    for item in items:
        k = key(item)
        if k not in best or best[k].ts <= item.ts:
            best[k] = item
    return list(best.values())


def _newest_lines(lines: list[Line], cursor: Any) -> list[Line]:
    """One state per line for the batch's upsert: the newest, skipping any state from a producer
    that handed the line over (earlier in the batch, or before it)."""
    by_key: dict[tuple, list[Line]] = {}
    for line in lines:
        by_key.setdefault(line.key, []).append(line)
    mixed = [key for key, group in by_key.items() if len({x.producer for x in group}) > 1]
    handed: dict[tuple, int] = {}
    if mixed:
        event_ids, market_ids, specifiers = (list(column) for column in zip(*mixed, strict=True))
        cursor.execute(_HANDED_OVER, [event_ids, market_ids, specifiers])
        handed = {(e, m, s): p for e, m, s, p in cursor.fetchall()}
    chosen = []
    for key, group in by_key.items():
        handed_by = handed.get(key)
        best = None
        for line in sorted(group, key=lambda x: x.ts):  # stable: arrival order on a tie
            if line.status == HANDED_OVER and handed_by is None:
                handed_by = line.producer
            elif line.producer == handed_by:
                continue
            best = line
        if best is not None:
            chosen.append(replace(best, handed_over_by=handed_by))
    return chosen


class FeedBatch:
    """The changes of many feed messages, written together by :meth:`commit`; ``pushes``, the
    adapter's coalesced pushes to the events' open pages (none: the odds cache only)."""

    def __init__(self, *, pushes: Coalescer | None = None) -> None:
        self.pushes = pushes
        self.lines: list[Line] = []
        self.stops: list[tuple[int, int, int, int, list[int] | None]] = []
        self.statuses: list[EventState] = []
        self.results: list[ResultRow] = []
        self.fixtures: dict[int, StartMoved] = {}

    def __len__(self) -> int:
        return (
            len(self.lines)
            + len(self.stops)
            + len(self.statuses)
            + len(self.results)
            + len(self.fixtures)
        )

    def fixture(self, *, event_id: int, ts: int, start_ms: int) -> None:
        """The event's start time moved."""
        known = self.fixtures.get(event_id)
        if known is None or known.ts <= ts:
            self.fixtures[event_id] = StartMoved(ts=ts, start_ms=start_ms)

    def line(self, line: Line) -> None:
        self.lines.append(line)

    def stop(
        self, *, event_id: int, producer: int, ts: int, status: int, market_ids: list[int] | None
    ) -> None:
        """Bet stop: the producer's active lines of the event (or of ``market_ids``) take
        ``status``."""
        self.stops.append((event_id, producer, ts, status, market_ids))

    def status(self, state: EventState) -> None:
        self.statuses.append(state)

    def result(self, row: ResultRow) -> None:
        self.results.append(row)
        # The line's status follows the result; an unknown line is created in that status.
        self.lines.append(
            Line(
                event_id=row.event_id,
                market_id=row.market_id,
                specifiers=row.specifiers,
                status=_RESULT_STATUS[row.kind],
                producer=row.producer,
                ts=row.ts,
            )
        )

    def commit(self) -> Changes:
        """Write everything in one transaction on the global database; what changed. After the
        commit, what changed reaches the odds cache and the pushes."""
        changes = Changes()
        with transaction.atomic(using=GLOBAL_ALIAS):
            with connections[GLOBAL_ALIAS].cursor() as cursor:
                self._write(cursor, changes)
            if changes:
                _replicate(changes)
                transaction.on_commit(
                    lambda: live.odds_committed(
                        changes.markets, changes.events, pushes=self.pushes
                    ),
                    using=GLOBAL_ALIAS,
                )
        return changes

    def _write(self, cursor: Any, changes: Changes) -> None:
        lines = _newest_lines(self.lines, cursor)
        if lines:
            # One JSON document rather than nine arrays: the driver quotes one string, not
            # every element.
            rows = [
                {
                    "e": x.event_id,
                    "m": x.market_id,
                    "s": x.specifiers,
                    "st": x.status,
                    "p": x.producer,
                    "t": x.ts,
                    "f": x.favourite,
                    "o": x.outcomes,
                    "hb": x.handed_over_by,
                }
                for x in lines
            ]
            cursor.execute(_UPSERT_LINES, [json.dumps(rows, separators=(",", ":"))])
            changes.markets.extend(map(MarketChange._make, cursor.fetchall()))
        for event_id, producer, ts, status, market_ids in self.stops:
            cursor.execute(_SUSPEND, [status, ts, event_id, producer, ts, market_ids, market_ids])
            changes.markets.extend(map(MarketChange._make, cursor.fetchall()))
        statuses = _newest(self.statuses, key=lambda s: s.event_id)
        if statuses:
            cursor.execute(
                _EVENT_STATUS,
                [
                    [x.event_id for x in statuses],
                    [x.ts for x in statuses],
                    [x.status for x in statuses],
                    [x.live for x in statuses],
                    [x.home_score for x in statuses],
                    [x.away_score for x in statuses],
                    [x.match_status for x in statuses],
                    [x.match_time for x in statuses],
                ],
            )
            changes.events.extend(map(EventChange._make, cursor.fetchall()))
        if self.fixtures:
            moved = self.fixtures.values()
            cursor.execute(
                _FIXTURES,
                [list(self.fixtures), [x.ts for x in moved], [x.start_ms for x in moved]],
            )
            changes.fixtures.extend(map(FixtureChange._make, cursor.fetchall()))
        if self.results:
            rows = self.results
            cursor.execute(
                _INSERT_RESULTS,
                [
                    [x.event_id for x in rows],
                    [x.market_id for x in rows],
                    [x.specifiers for x in rows],
                    [x.kind for x in rows],
                    [x.producer for x in rows],
                    [x.ts for x in rows],
                    [x.certainty for x in rows],
                    [json.dumps(list(x.outcomes), separators=(",", ":")) for x in rows],
                    [x.void_reason for x in rows],
                    [x.start_time for x in rows],
                    [x.end_time for x in rows],
                ],
            )
            changes.results.extend(map(ResultChange._make, cursor.fetchall()))
        # A line changed by two statements of the batch (odds, then a stop) is sent once, newest.
        newest: dict[int, MarketChange] = {}
        for row in changes.markets:
            seen = newest.get(row.id)
            if seen is None or seen.ts <= row.ts:
                newest[row.id] = row
        # JSON columns come back from a raw cursor as text: decoded once, here, for everyone.
        changes.markets = [_with_outcomes(row, row.outcomes) for row in newest.values()]
        changes.results = [_with_outcomes(row, row.outcomes) for row in changes.results]


def _replicate(changes: Changes) -> None:
    """Fan the changes out to every shard: one event for lines and statuses, one for results."""
    if changes.markets or changes.events or changes.fixtures:
        outbox_emit(
            using=GLOBAL_ALIAS,
            topic=MARKETS_TOPIC,
            audience=AUDIENCE,
            payload={
                "markets": [list(row) for row in changes.markets],
                "events": [list(row) for row in changes.events],
                "fixtures": [_fixture_row(*row) for row in changes.fixtures],
            },
        )
    if changes.results:
        outbox_emit(
            using=GLOBAL_ALIAS,
            topic=RESULTS_TOPIC,
            audience=AUDIENCE,
            payload={"results": [list(row) for row in changes.results]},
        )


def _fixture_row(
    event_id: int, urn: str, sport_id: int, start_time: Any, fixture_ts: int, provider: str
) -> list:
    start = start_time.isoformat() if start_time else None
    return [event_id, urn, sport_id, start, fixture_ts, provider]


def replicate_event(event: Any) -> None:
    """Send a new or changed fixture to every shard (inside the caller's transaction)."""
    outbox_emit(
        using=GLOBAL_ALIAS,
        topic=MARKETS_TOPIC,
        audience=AUDIENCE,
        payload={
            "markets": [],
            "fixtures": [
                _fixture_row(
                    event.id,
                    event.urn,
                    event.sport_id,
                    event.start_time,
                    event.fixture_ts,
                    event.provider,
                )
            ],
        },
    )


def next_version() -> int:
    """A version for a replicated state, from the global database's sequence: take it inside the
    change's transaction, after its locks, so a later change always carries a larger one."""
    with connections[GLOBAL_ALIAS].cursor() as cursor:
        cursor.execute("SELECT nextval('catalog_version')")
        return cursor.fetchone()[0]


def replicate_producer(*, provider: str, producer: int, down: bool, version: int) -> None:
    """A producer went down or came back: its lines close or reopen on every shard."""
    outbox_emit(
        using=GLOBAL_ALIAS,
        topic=PRODUCER_TOPIC,
        audience=AUDIENCE,
        payload={"provider": provider, "producer": producer, "down": down, "version": version},
    )


def replicate_desk(
    *, event_ids: list[int], market_ids: list[int], suspended: bool, version: int
) -> None:
    """The trading desk suspended or reopened events or lines (catalog ids)."""
    outbox_emit(
        using=GLOBAL_ALIAS,
        topic=DESK_TOPIC,
        audience=AUDIENCE,
        payload={
            "events": event_ids,
            "markets": market_ids,
            "suspended": suspended,
            "version": version,
        },
    )
