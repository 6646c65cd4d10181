"""Liability: held per shard against a quota of each line's limit, summed globally for the desk.

A line's liability limit is shared between the shards by quotas (limit / number of shards), so a
placement checks only its own shard: the liability row is raised in the bet's transaction by a
guarded ``UPDATE`` that fails beyond the quota, and concurrent placements cannot both pass.

The global tier learns of the changes through the outbox, but not one event per bet: each
shard's pool announces, every few seconds (``bets.announce_liability``), what changed on its
rows since the last announcement, as one event of deltas (each row remembers what it has
announced, in the same transaction as the event). The risk view is that much behind the shards;
the limits themselves are enforced on the shards, at placement.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import DatabaseError, connections, transaction

from apps.bets.models import Bet, BetLeg, Liability
from apps.outbox.services import OutboxEvent, handles, outbox_emit
from shards import map as shard_map

TOPIC = "bets.liability"


class OverLimit(Exception):
    def __init__(self, leg: int) -> None:
        super().__init__("liability limit")
        self.leg = leg


def stake_max(*, brand_max: int, stake_factor: Decimal | None, operator_max: int | None) -> int:
    """The most a player may stake on one bet: the brand's maximum times their risk group's
    factor (1 without a group), and no more than the operator's own limit for them."""
    limit = brand_max if stake_factor is None else int(brand_max * stake_factor)
    return min(limit, operator_max) if operator_max is not None else limit


_USED = """
SELECT l.kind, l.period, l.amount, u.staked, u.paid
FROM bets_playerlimit l
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(b.staked), 0) AS staked, COALESCE(SUM(b.payout), 0) AS paid
    FROM bets_bet b
    WHERE b.player_id = l.player_id AND b.status <> 'refused'
      AND b.placed_at >= date_trunc(l.period, now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
) u
WHERE l.player_id = %s
"""


def limits_check(*, using: str, player_id: int, stake: int) -> None:
    """Refuse a stake beyond a responsible-gambling limit the player set (``LimitReached``):
    wagered (stakes as placed, cash-outs do not lower them), or lost (stakes less payouts),
    since the period began (UTC). Call it inside the bet's transaction, holding the player's
    row lock (so two slips cannot both fit under what is left), in a statement after the lock
    was taken (so it sees the bets committed while it waited)."""
    with connections[using].cursor() as cursor:
        cursor.execute(_USED, [player_id])
        rows = cursor.fetchall()
    for kind, period, amount, staked, paid in rows:
        used = staked if kind == "wager" else max(staked - paid, 0)
        if used + stake > amount:
            # sum() of bigints is numeric in PostgreSQL: what is left is an int of minor units
            # (the API answers it in JSON).
            raise LimitReached(kind, period, int(max(amount - used, 0)))


class LimitReached(Exception):
    def __init__(self, kind: str, period: str, left: int) -> None:
        super().__init__(f"{kind} limit per {period}")
        self.kind, self.period, self.left = kind, period, left


def _exposures(bet: Bet, legs: Iterable[BetLeg]) -> list[tuple[BetLeg, int, int]]:
    """(leg, stake, liability) of each leg: the whole bet on each (the worst case)."""
    return [(leg, bet.stake, bet.potential_payout) for leg in legs]


UNLIMITED = 2**62


def liability_take(*, bet: Bet, legs: list[BetLeg], limit: int = UNLIMITED, using: str) -> None:
    """Inside the bet's transaction: add the bet's liability, within this shard's quota
    (``bets_take_liability``, as placement's ``bets_place`` does: rows in (market, outcome)
    order, so two multiples of the same legs cannot deadlock)."""
    quota = limit // shard_map.shard_count()
    lines = json.dumps([{"p": leg.position, "m": leg.market, "o": leg.outcome_id} for leg in legs])
    with connections[using].cursor() as cursor:
        try:
            cursor.execute(
                "SELECT bets_take_liability(%s::jsonb, %s, %s, %s)",
                [lines, bet.stake, bet.potential_payout, quota],
            )
        except DatabaseError as exc:
            raise over_limit(exc) from None


def over_limit(exc: DatabaseError) -> OverLimit:
    """``OverLimit`` for the leg ``bets_take_liability`` refused; any other error as it was."""
    if getattr(exc.__cause__, "sqlstate", None) != "BL001":
        raise exc
    return OverLimit(int(exc.__cause__.diag.message_detail or 0))


def liability_release(*, bet: Bet, legs: list[BetLeg], using: str) -> None:
    """The bet no longer exposes the book (settled, refused, cashed out)."""
    liability_shift(bets=[(bet, legs)], sign=-1, using=using)


# Rows taken in (market, outcome) order, as placement (bets_take_liability) and the
# announcement take them: two of them never wait for each other in opposite orders.
_SHIFT = """
INSERT INTO bets_lineliability (market, outcome_id, stakes, liability, bets)
SELECT m, o, s, a, n
FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bigint[], %s::int[]) AS x(m, o, s, a, n)
ORDER BY m, o
ON CONFLICT (market, outcome_id) DO UPDATE SET
    stakes = bets_lineliability.stakes + excluded.stakes,
    liability = bets_lineliability.liability + excluded.liability,
    bets = bets_lineliability.bets + excluded.bets
"""


@dataclass(slots=True)
class _Change:
    """What an outcome's liability row changes by: stakes, liability, number of bets."""

    stakes: int = 0
    liability: int = 0
    bets: int = 0


def liability_shift(*, bets: list[tuple[Bet, list[BetLeg]]], sign: int, using: str) -> None:
    """Add (``sign`` 1) or remove (-1) many bets' liability with no limit (a settlement, a
    rollback): one statement for them all."""
    totals: dict[tuple[int, str], _Change] = {}
    for bet, legs in bets:
        for leg, stake, amount in _exposures(bet, legs):
            change = totals.get((leg.market, leg.outcome_id))
            if change is None:
                change = totals[(leg.market, leg.outcome_id)] = _Change()
            change.stakes += sign * stake
            change.liability += sign * amount
            change.bets += sign
    if not totals:
        return
    keys = sorted(totals)
    changes = [totals[key] for key in keys]
    with connections[using].cursor() as cursor:
        cursor.execute(
            _SHIFT,
            [
                [market for market, _outcome in keys],
                [outcome for _market, outcome in keys],
                [c.stakes for c in changes],
                [c.liability for c in changes],
                [c.bets for c in changes],
            ],
        )


# The rows changed since the last announcement, locked (in (market, outcome) order, as
# placement and settlements take them); those back at nothing (every bet on the outcome settled,
# refused or cashed out) are deleted, the others marked as sent; the deltas returned, but none
# of a row that came and went between two announcements (deleted, nothing to send). A
# placement raising a row being deleted waits for its lock, then (the row gone) inserts it anew.
# So the table holds the outcomes with open bets, not every outcome ever bet on, and this scan
# every few seconds stays as small as the open book.
_UNANNOUNCED = """
WITH changed AS (
    SELECT l.id, l.market, l.outcome_id, l.stakes, l.liability, l.bets,
           l.stakes - l.sent_stakes AS d_stakes, l.liability - l.sent_liability AS d_liability,
           l.bets - l.sent_bets AS d_bets,
           (l.stakes, l.liability, l.bets) = (0, 0, 0) AS empty
    FROM bets_lineliability l
    WHERE (l.stakes, l.liability, l.bets)
          IS DISTINCT FROM (l.sent_stakes, l.sent_liability, l.sent_bets)
       OR (l.stakes, l.liability, l.bets, l.sent_stakes, l.sent_liability, l.sent_bets)
          = (0, 0, 0, 0, 0, 0)
    ORDER BY l.market, l.outcome_id
    LIMIT %s
    FOR UPDATE
), emptied AS (
    DELETE FROM bets_lineliability l USING changed c WHERE l.id = c.id AND c.empty
), sent AS (
    UPDATE bets_lineliability l
    SET sent_stakes = c.stakes, sent_liability = c.liability, sent_bets = c.bets
    FROM changed c
    WHERE l.id = c.id AND NOT c.empty
)
SELECT c.market, COALESCE(m.event_id, 0), COALESCE(m.market_id, 0), COALESCE(m.specifiers, ''),
       c.outcome_id, c.d_stakes, c.d_liability, c.d_bets
FROM changed c LEFT JOIN catalog_replica_line_keys m ON m.id = c.market
WHERE (c.d_stakes, c.d_liability, c.d_bets) <> (0, 0, 0)
ORDER BY c.market, c.outcome_id
"""

ANNOUNCE_BATCH = 5_000


def liability_announce(*, using: str) -> int:
    """Send the global tier what changed on this shard's liability rows since the last time, as
    one outbox event of deltas (at most ``ANNOUNCE_BATCH`` rows; the rest next time); the number
    of rows announced. The rows are marked announced in the event's transaction: a delta is
    sent exactly once."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(_UNANNOUNCED, [ANNOUNCE_BATCH])
        rows = [list(r) for r in cursor.fetchall()]
        if rows:
            outbox_emit(using=using, topic=TOPIC, payload={"lines": rows})
    return len(rows)


class AnnouncedLine(NamedTuple):
    """A line of a ``bets.liability`` event: what one outcome's liability changed by."""

    market: int
    event_id: int
    market_id: int
    specifiers: str
    outcome_id: str
    stakes: int
    liability: int
    bets: int


@handles(TOPIC, tier="global")
def apply_liability(event: OutboxEvent, using: str) -> None:
    totals: dict[tuple[int, str], _Change] = defaultdict(_Change)
    info = {}
    for line in map(AnnouncedLine._make, event.payload["lines"]):
        key = (line.market, line.outcome_id)
        info[key] = (line.event_id, line.market_id, line.specifiers)
        totals[key].stakes += line.stakes
        totals[key].liability += line.liability
        totals[key].bets += line.bets
    with connections[using].cursor() as cursor:
        for (market, outcome), change in totals.items():
            event_id, market_id, specifiers = info[(market, outcome)]
            stake, amount, count = change.stakes, change.liability, change.bets
            cursor.execute(
                "INSERT INTO bets_liability (market, event_id, market_id, specifiers, outcome_id, "
                "stakes, liability, bets, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now()) "
                "ON CONFLICT (market, outcome_id) DO UPDATE SET stakes = bets_liability.stakes + "
                "excluded.stakes, liability = bets_liability.liability + excluded.liability, "
                "bets = bets_liability.bets + excluded.bets, updated_at = now()",
                [market, event_id, market_id, specifiers, outcome, stake, amount, count],
            )


__all__ = [
    "Liability",
    "LimitReached",
    "OverLimit",
    "liability_announce",
    "liability_release",
    "liability_shift",
    "liability_take",
    "limits_check",
    "stake_max",
]
