"""Settling bets on each shard from the feed's results, as the shard's replica receives them.

The catalog's replication calls :func:`results_settle` with the results this shard receives for
the first time, inside the transaction that records them. In that transaction the legs are
updated, set-based, one statement per result: every leg on the result's market line at once,
however many bets hold it. Each leg keeps the timestamp of the result applied to it, so an older
result never overwrites a newer one. The same transaction records the bets it touched (a
``SettlementRun``); so each result reaches each shard's legs exactly once, and a crash rolls
both back together.

Then, as soon as that transaction commits, the touched bets are paid in transactions of
``CHUNK`` bets (:func:`settlement_run_pay`): every bet whose legs are all resolved is paid
(:mod:`apps.bets.arithmetic`; payouts rounded down per line), and a bet a rollback reopened has
its payout taken back. A chunk holds its winners' cash accounts only until it commits, not for
the whole market: a winner who bets again meanwhile waits for one chunk at most. Paying is
idempotent per bet (a paid bet is skipped, a re-settled one pays the difference), so a run
interrupted by a crash is simply run again by the sweep (``bets.sweep_settlements``).

- ``settle``: won, lost, void (void factor 1), half-won and half-lost (0.5), dead heat. A
  live-scouted then a confirmed settlement of the same line settle each leg once.
- ``rollback_settle``: the legs go back to open; a paid bet's payout is reversed with a
  compensating debit (what the player's cash cannot cover is recorded as ``owed`` and netted
  from the next payout), and the bet is open again.
- ``cancel``: legs of bets placed in the cancel's time window (all, without one) are void.
- ``rollback_cancel``: those legs are open again (their bets reopened like a rollback's).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import ROUND_FLOOR, Decimal
from functools import partial
from typing import Any

from django.db import connections, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.bets import arithmetic, risk
from apps.bets.models import Bet, BetLeg, SettlementRun
from apps.realtime.notify import player_notify
from apps.wallet import api as wallet
from apps.wallet.api import InsufficientFunds
from shards import map as shard_map

log = logging.getLogger(__name__)

# A leg's status and factors from a settlement's outcome (the feed's result and void factor).
_RESULT = """
    status = CASE
        WHEN o.void_factor::numeric = 1 THEN 'void'
        WHEN o.void_factor::numeric = 0.5 AND o.result = 1 THEN 'half_won'
        WHEN o.void_factor::numeric = 0.5 THEN 'half_lost'
        WHEN o.result = 1 THEN 'won'
        ELSE 'lost' END,
    void_factor = NULLIF(o.void_factor, '')::numeric,
    dead_heat_factor = NULLIF(o.dead_heat_factor, '')::numeric
"""

_SETTLE_LEGS = """
UPDATE bets_betleg AS l SET
{RESULT},
    result_ts = %(ts)s, cancelled = false
FROM jsonb_to_recordset(%(outcomes)s::jsonb)
     AS o(id text, result int, void_factor text, dead_heat_factor text)
WHERE l.event_id = %(event)s AND l.market_id = %(market)s AND l.specifiers = %(spec)s
  AND l.outcome_id = o.id AND o.result IN (0, 1)
  AND COALESCE(l.result_ts, 0) < %(ts)s AND NOT l.cancelled
RETURNING l.bet_id
""".replace("{RESULT}", _RESULT)

_REOPEN_LEGS = """
UPDATE bets_betleg AS l SET status = 'open', void_factor = NULL, dead_heat_factor = NULL,
    result_ts = %(ts)s, cancelled = false
WHERE l.event_id = %(event)s AND l.market_id = %(market)s AND l.specifiers = %(spec)s
  AND COALESCE(l.result_ts, 0) < %(ts)s AND l.cancelled = %(cancelled)s
  AND (l.status <> 'open' OR l.cancelled)
RETURNING l.bet_id
"""

_UNCANCEL_LEGS = """
UPDATE bets_betleg AS l SET status = 'open', void_factor = NULL, dead_heat_factor = NULL,
    result_ts = %(ts)s, cancelled = false
FROM bets_bet AS b
WHERE b.id = l.bet_id AND l.event_id = %(event)s AND l.market_id = %(market)s
  AND l.specifiers = %(spec)s AND l.cancelled AND COALESCE(l.result_ts, 0) < %(ts)s
  AND (%(start)s::timestamptz IS NULL OR b.placed_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR b.placed_at < %(end)s)
RETURNING l.id, l.bet_id
"""

# The line's settlement that still stands (newer than any rollback of a settlement).
_STANDING = """
SELECT s.outcomes, s.ts FROM catalog_replica_result_standing(%(event)s, %(market)s, %(spec)s) s
"""

_RESETTLE_LEGS = """
UPDATE bets_betleg AS l SET
{RESULT}
FROM jsonb_to_recordset(%(outcomes)s::jsonb)
     AS o(id text, result int, void_factor text, dead_heat_factor text)
WHERE l.id = ANY(%(legs)s) AND l.outcome_id = o.id AND o.result IN (0, 1)
""".replace("{RESULT}", _RESULT)

_CANCEL_LEGS = """
UPDATE bets_betleg AS l SET status = 'void', void_factor = 1, dead_heat_factor = NULL,
    result_ts = %(ts)s, cancelled = true
FROM bets_bet AS b
WHERE b.id = l.bet_id AND l.event_id = %(event)s AND l.market_id = %(market)s
  AND l.specifiers = %(spec)s AND COALESCE(l.result_ts, 0) < %(ts)s
  AND (%(start)s::timestamptz IS NULL OR b.placed_at >= %(start)s)
  AND (%(end)s::timestamptz IS NULL OR b.placed_at < %(end)s)
RETURNING l.bet_id
"""


def _resettle(cursor: Any, line: dict[str, Any], leg_ids: list[int]) -> None:
    """Legs a cancel's rollback reopened take the line's settlement that still stands, if any."""
    if not leg_ids:
        return
    cursor.execute(_STANDING, line)
    standing = cursor.fetchone()
    if standing is None:
        return
    outcomes, _ts = standing
    if isinstance(outcomes, str):
        outcomes = json.loads(outcomes)
    cursor.execute(_RESETTLE_LEGS, {"outcomes": json.dumps(outcomes), "legs": leg_ids})


def _when(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def results_settle(*, results: list[dict[str, Any]], using: str) -> None:
    """Apply a shard's new results to its bets' legs, inside the caller's transaction, and
    record the bets they touched; those are paid once that transaction commits
    (``settlement_run_pay``, a chunk of bets per transaction)."""
    touched: set[int] = set()
    if not results:
        return
    with connections[using].cursor() as cursor:
        # Lock the results' lines first, in id order, and take each one's advisory lock
        # exclusively: a placement on them (which holds it shared, see placement._OPEN_SLIP)
        # either committed before (its bet's legs are resolved here, and it is paid with the
        # others) or waits and then sees the result and refuses.
        cursor.execute(
            "SELECT q.id, pg_advisory_xact_lock(q.id) "
            "FROM catalog_replica_lines_lock(%s::bigint[], %s::int[], %s::text[]) q",
            [
                [r["event_id"] for r in results],
                [r["market_id"] for r in results],
                [r["specifiers"] for r in results],
            ],
        )
        for r in results:
            line = {
                "event": r["event_id"],
                "market": r["market_id"],
                "spec": r["specifiers"],
                "ts": r["ts"],
            }
            if r["kind"] == "settle":
                cursor.execute(_SETTLE_LEGS, {**line, "outcomes": json.dumps(r["outcomes"])})
            elif r["kind"] == "rollback_settle":
                cursor.execute(_REOPEN_LEGS, {**line, "cancelled": False})
            elif r["kind"] == "cancel":
                cursor.execute(
                    _CANCEL_LEGS,
                    {**line, "start": _when(r["start_time"]), "end": _when(r["end_time"])},
                )
            elif r["kind"] == "rollback_cancel":
                cursor.execute(
                    _UNCANCEL_LEGS,
                    {**line, "start": _when(r["start_time"]), "end": _when(r["end_time"])},
                )
                rows = cursor.fetchall()
                touched.update(bet_id for _leg, bet_id in rows)
                _resettle(cursor, line, [leg for leg, _bet in rows])
                continue
            else:
                continue
            touched.update(bet_id for (bet_id,) in cursor.fetchall())
    if touched:
        run = SettlementRun.objects.using(using).create(bet_ids=sorted(touched))
        transaction.on_commit(
            partial(settlement_run_pay, using=using, run_id=run.id), using=using, robust=True
        )


def settlement_run_pay(*, using: str, run_id: int) -> bool:
    """Pay a run's bets, a chunk per transaction, then delete the run; False if it was gone
    (another worker finished it)."""
    ids = (
        SettlementRun.objects.using(using).filter(pk=run_id).values_list("bet_ids", flat=True)
    ).first()
    if ids is None:
        return False
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic(using=using):
            _settle_chunk(using, ids[start : start + CHUNK])
    SettlementRun.objects.using(using).filter(pk=run_id).delete()
    return True


LEFT_BEHIND_AFTER = dt.timedelta(minutes=1)  # a run still there this long after: its worker died


def settlement_sweep(*, shard: int) -> int:
    """Finish the shard's settlement runs whose worker died; how many were finished."""
    using = shard_map.alias(shard)
    stale = list(
        SettlementRun.objects.using(using)
        .filter(created_at__lt=timezone.now() - LEFT_BEHIND_AFTER)
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )
    done = sum(settlement_run_pay(using=using, run_id=run_id) for run_id in stale)
    if done:
        log.warning("left-behind settlement runs finished", extra={"shard": shard, "runs": done})
    return done


def leg_settlement(leg: BetLeg) -> arithmetic.Settlement | None:
    if leg.status == "open":
        return None
    if leg.cancelled:
        return arithmetic.Settlement.cancel()
    result = 1 if leg.status in ("won", "half_won") else 0
    return arithmetic.Settlement(
        result=result,
        void_factor=leg.void_factor if leg.void_factor is not None else Decimal(0),
        dead_heat_factor=leg.dead_heat_factor,
    )


_factors: dict[tuple, Decimal] = {}


def _single_factor(leg: BetLeg) -> Decimal:
    """A settled leg's factor, memoised: a market's many singles share a few (odds, result)."""
    key = (leg.status, leg.cancelled, leg.void_factor, leg.dead_heat_factor, leg.odds)
    factor = _factors.get(key)
    if factor is None:
        factor = leg_settlement(leg).factor(leg.odds)
        if len(_factors) > 10_000:
            _factors.clear()
        _factors[key] = factor
    return factor


def payout_of(bet: Bet, legs: list[BetLeg]) -> int | None:
    """What ``bet`` pays with its legs as they are; None while a leg is open."""
    if bet.kind == "single" and len(legs) == 1:
        # One line: the unit stake times the leg's factor, rounded down, as the arithmetic's
        # rule says, without building the bet's shape for each of a market's many singles.
        if legs[0].status == "open":
            return None
        value = Decimal(bet.unit_stake) * _single_factor(legs[0])
        return int(value.to_integral_value(rounding=ROUND_FLOOR))
    return arithmetic.payout(bet_shape(bet, legs))


def bet_shape(bet: Bet, legs: list[BetLeg], *, settled: bool = True) -> arithmetic.Bet:
    """The bet as the arithmetic sees it: its system, unit stake and legs (with their results,
    unless ``settled`` is False: every leg open at its odds)."""
    system = bet.kind if bet.kind in ("single", "multiple") else bet.system
    return arithmetic.Bet(
        system=system,
        unit_stake=bet.unit_stake,
        legs=tuple(
            arithmetic.Leg(odds=leg.odds, settlement=leg_settlement(leg) if settled else None)
            for leg in legs
        ),
    )


CHUNK = 2_000  # bets a transaction: how long a chunk holds its winners' accounts

_UPDATE_BETS = """
UPDATE bets_bet AS b SET status = x.status, payout = x.payout, owed = x.owed,
    settled_at = x.settled_at, postings = x.postings
FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bigint[], %s::timestamptz[],
            %s::int[]) AS x(id, status, payout, owed, settled_at, postings)
WHERE b.id = x.id AND b.status IN ('open', 'settled')
"""


def _settle_chunk(using: str, ids: list[int]) -> None:
    # Lock the bets first (in id order: no deadlock between two settlements), then read their
    # legs: a result applied by another transaction meanwhile, or a cash-out, is seen.
    # The chunk's ids go as one array parameter: an IN list of 5,000 placeholders cost more to
    # compile and send (in the ORM and in psycopg) than the query took to run.
    bets = {
        b.id: b
        for b in Bet.objects.using(using)
        .select_for_update()
        .filter(id__in=_any(ids), status__in=("open", "settled"))
        .order_by("id")
    }
    legs: dict[int, list[BetLeg]] = {}
    for leg in BetLeg.objects.using(using).filter(bet_id__in=_any(list(bets))).order_by("position"):
        legs.setdefault(leg.bet_id, []).append(leg)
    now = timezone.now()
    changed: list[Bet] = []
    credits: dict[tuple[int, str], list[wallet.Credit]] = {}
    settled, reopened = [], []
    for bet in bets.values():
        mine = legs.get(bet.id, [])
        amount = payout_of(bet, mine)
        if bet.status == "settled" and amount is None:
            _unpay(bet)
            bet.status, bet.settled_at = "open", None
            reopened.append((bet, mine))  # it exposes the book again
        elif bet.status == "open" and amount is not None:
            _pay(bet, amount, credits)
            bet.status, bet.settled_at = "settled", now
            settled.append((bet, mine))
        elif bet.status == "settled" and amount != bet.payout:
            # Settled again with other results (a newer settlement of a leg): take back the old
            # payout, pay the new one.
            _unpay(bet)
            _pay(bet, amount, credits)
        else:
            continue
        changed.append(bet)
    if not changed:
        return
    with connections[using].cursor() as cursor:
        cursor.execute(
            _UPDATE_BETS,
            [
                [b.id for b in changed],
                [b.status for b in changed],
                [b.payout for b in changed],
                [b.owed for b in changed],
                [b.settled_at for b in changed],
                [b.postings for b in changed],
            ],
        )
    for (brand_id, currency), items in credits.items():
        wallet.wallet_credit_many(
            brand_id=brand_id, currency=currency, product="sportsbook", credits=items, using=using
        )
    risk.liability_shift(bets=settled, sign=-1, using=using)
    risk.liability_shift(bets=reopened, sign=1, using=using)
    # One push per player for the chunk, after commit: their bets changed.
    changed_by_player: dict[tuple[int, int], list[Bet]] = {}
    for bet in changed:
        changed_by_player.setdefault((bet.brand_id, bet.player_id), []).append(bet)
    for (brand_id, player_id), mine in changed_by_player.items():
        player_notify(
            using=using,
            brand_id=brand_id,
            player_id=player_id,
            message={
                "type": "bets",
                "bets": [{"bet": str(b.id), "status": b.status, "payout": b.payout} for b in mine],
            },
        )


def _any(ids: list[int]) -> RawSQL:
    """``ids`` as the right-hand side of an ``__in`` lookup, sent as one ``bigint[]``."""
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))


def _common(bet: Bet) -> dict[str, Any]:
    return {
        "brand_id": bet.brand_id,
        "player_id": bet.player_id,
        "currency": bet.currency,
        "product": "sportsbook",
        "details": {"bet": str(bet.id)},
    }


def _pay(bet: Bet, amount: int, credits: dict[tuple[int, str], list[wallet.Credit]]) -> None:
    """Owe the player ``amount`` less what they still owe from a reversed payout (collected,
    to be posted with the chunk's other payouts)."""
    netted = min(bet.owed, amount)
    bet.owed -= netted
    bet.payout = amount
    bet.postings += 1
    version = bet.postings
    if amount - netted > 0:
        credits.setdefault((bet.brand_id, bet.currency), []).append(
            wallet.Credit(
                player_id=bet.player_id,
                amount=amount - netted,
                idempotency_key=f"bet:{bet.id}:pay:{version}",
                details={"bet": str(bet.id)},
            )
        )


def _unpay(bet: Bet) -> None:
    """Take the current payout back; what the cash cannot cover is owed. Through the house's
    bulk stripes: a rollback reverses a whole chunk of payouts in one transaction, and bets
    placed meanwhile (their stakes credit the house's normal stripes) must not wait for it."""
    amount, bet.payout = bet.payout, 0
    bet.postings += 1
    if amount <= 0:
        return
    key = f"bet:{bet.id}:unpay:{bet.postings}"
    try:
        wallet.wallet_debit(**_common(bet), amount=amount, idempotency_key=key, bulk=True)
        return
    except InsufficientFunds:
        pass
    available = wallet.wallet_balance(
        brand_id=bet.brand_id, player_id=bet.player_id, currency=bet.currency
    ).cash
    if available > 0:
        wallet.wallet_debit(**_common(bet), amount=available, idempotency_key=key, bulk=True)
    bet.owed += amount - max(available, 0)
    log.warning("reversed payout not covered", extra={"bet": bet.id, "owed": bet.owed})
