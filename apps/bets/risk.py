"""Liability: held per shard against a quota of each line's limit, summed globally for the desk.

A line's liability limit is shared between the shards by quotas (limit / number of shards), so a
placement checks only its own shard: the liability row is raised in the bet's transaction by a
guarded ``UPDATE`` that fails beyond the quota, and concurrent placements cannot both pass. The
changes are also sent to the global tier through the outbox, where the risk view sums them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connections

from apps.bets.models import Bet, BetLeg, Liability, PlayerLimit, PlayerRisk
from apps.outbox.events import Event
from apps.outbox.services import handles, outbox_emit
from shards import map as shard_map

TOPIC = "bets.liability"

_ENSURE = """
INSERT INTO bets_lineliability (market, outcome_id, stakes, liability)
VALUES (%(market)s, %(outcome)s, 0, 0)
ON CONFLICT (market, outcome_id) DO NOTHING
"""

_RAISE = """
UPDATE bets_lineliability SET stakes = stakes + %(stake)s, liability = liability + %(amount)s
WHERE market = %(market)s AND outcome_id = %(outcome)s
  AND (%(amount)s <= 0 OR liability + %(amount)s <= %(quota)s)
RETURNING liability
"""


class OverLimit(Exception):
    def __init__(self, leg: int) -> None:
        super().__init__("liability limit")
        self.leg = leg


def player_max_stake(using: str, player_id: int, brand_max: int) -> int:
    """The most this player may stake on one bet: the brand's maximum times their risk group's
    factor, and no more than the operator's own limit for them."""
    row = PlayerRisk.objects.using(using).filter(player_id=player_id).first()
    if row is None:
        return brand_max
    limit = int(brand_max * row.stake_factor)
    return min(limit, row.max_stake) if row.max_stake is not None else limit


_PERIOD_START = {"day": "day", "week": "week", "month": "month"}


def check_limits(using: str, player_id: int, stake: int) -> None:
    """Refuse a stake beyond a responsible-gambling limit the player set (``LimitReached``):
    wagered (stakes as placed, cash-outs do not lower them), or lost (stakes less payouts),
    since the period began (UTC). Call it inside the bet's transaction."""
    limits = list(PlayerLimit.objects.using(using).filter(player_id=player_id))
    if not limits:
        return
    with connections[using].cursor() as cursor:
        # One placement at a time for a player with limits (inside the bet's transaction), so
        # two slips cannot both fit under what is left.
        cursor.execute("SELECT 1 FROM players_player WHERE id = %s FOR UPDATE", [player_id])
        for limit in limits:
            cursor.execute(
                "SELECT COALESCE(SUM(staked), 0), COALESCE(SUM(payout), 0) FROM bets_bet "
                "WHERE player_id = %s AND status <> 'refused' "
                "AND placed_at >= date_trunc(%s, now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
                [player_id, _PERIOD_START[limit.period]],
            )
            staked, paid = cursor.fetchone()
            used = staked if limit.kind == "wager" else max(staked - paid, 0)
            if used + stake > limit.amount:
                raise LimitReached(limit.kind, limit.period, max(limit.amount - used, 0))


class LimitReached(Exception):
    def __init__(self, kind: str, period: str, left: int) -> None:
        super().__init__(f"{kind} limit per {period}")
        self.kind, self.period, self.left = kind, period, left


def _exposures(bet: Bet, legs: Iterable[BetLeg]) -> list[tuple[BetLeg, int, int]]:
    """(leg, stake, liability) of each leg: the whole bet on each (the worst case)."""
    return [(leg, bet.stake, bet.potential_payout) for leg in legs]


UNLIMITED = 2**62


def take(bet: Bet, legs: list[BetLeg], *, limit: int = UNLIMITED, using: str) -> None:
    """Inside the bet's transaction: add the bet's liability, within this shard's quota."""
    quota = limit // shard_map.shard_count()
    with connections[using].cursor() as cursor:
        # Rows in one order for every placement: two multiples of the same legs cannot deadlock.
        ordered = sorted(_exposures(bet, legs), key=lambda e: (e[0].market, e[0].outcome_id))
        for leg, stake, amount in ordered:
            line = {"market": leg.market, "outcome": leg.outcome_id, "stake": stake,
                    "amount": amount, "quota": quota}  # fmt: skip
            cursor.execute(_ENSURE, line)
            cursor.execute(_RAISE, line)
            if cursor.fetchone() is None:
                raise OverLimit(leg.position)
    _announce(bet, legs, sign=1, using=using)


def release(bet: Bet, legs: list[BetLeg], *, using: str) -> None:
    """The bet no longer exposes the book (settled, refused, cashed out)."""
    shift([(bet, legs)], sign=-1, using=using)


_SHIFT = """
INSERT INTO bets_lineliability (market, outcome_id, stakes, liability)
SELECT m, o, s, a FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bigint[]) AS x(m, o, s, a)
ON CONFLICT (market, outcome_id) DO UPDATE SET
    stakes = bets_lineliability.stakes + excluded.stakes,
    liability = bets_lineliability.liability + excluded.liability
"""


def shift(bets: list[tuple[Bet, list[BetLeg]]], *, sign: int, using: str) -> None:
    """Add (``sign`` 1) or remove (-1) many bets' liability with no limit (a settlement, a
    rollback): one statement and one outbox event for them all."""
    totals: dict[tuple, list] = {}
    for bet, legs in bets:
        for leg, stake, amount in _exposures(bet, legs):
            row = totals.setdefault(
                (leg.market, leg.outcome_id),
                [leg.market, leg.event_id, leg.market_id, leg.specifiers, leg.outcome_id, 0, 0, 0],
            )
            row[5] += sign * stake
            row[6] += sign * amount
            row[7] += sign
    if not totals:
        return
    rows = list(totals.values())
    with connections[using].cursor() as cursor:
        cursor.execute(
            _SHIFT,
            [
                [r[0] for r in rows],
                [r[4] for r in rows],
                [r[5] for r in rows],
                [r[6] for r in rows],
            ],
        )
    outbox_emit(using=using, topic=TOPIC, payload={"lines": rows})


def _announce(bet: Bet, legs: list[BetLeg], *, sign: int, using: str) -> None:
    rows = [
        [leg.market, leg.event_id, leg.market_id, leg.specifiers, leg.outcome_id, sign * stake,
         sign * amount, sign]
        for leg, stake, amount in _exposures(bet, legs)
    ]  # fmt: skip
    outbox_emit(using=using, topic=TOPIC, payload={"lines": rows})


@handles(TOPIC, tier="global")
def apply_liability(event: Event, using: str) -> None:
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    info = {}
    for market, event_id, market_id, specifiers, outcome, stake, amount, count in event.payload[
        "lines"
    ]:
        key = (market, outcome)
        info[key] = (event_id, market_id, specifiers)
        totals[key][0] += stake
        totals[key][1] += amount
        totals[key][2] += count
    with connections[using].cursor() as cursor:
        for (market, outcome), (stake, amount, count) in totals.items():
            event_id, market_id, specifiers = info[(market, outcome)]
            cursor.execute(
                "INSERT INTO bets_liability (market, event_id, market_id, specifiers, outcome_id, "
                "stakes, liability, bets, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now()) "
                "ON CONFLICT (market, outcome_id) DO UPDATE SET stakes = bets_liability.stakes + "
                "excluded.stakes, liability = bets_liability.liability + excluded.liability, "
                "bets = bets_liability.bets + excluded.bets, updated_at = now()",
                [market, event_id, market_id, specifiers, outcome, stake, amount, count],
            )


__all__ = ["Liability", "LimitReached", "OverLimit", "check_limits", "player_max_stake", "release",
           "shift", "take"]  # fmt: skip
