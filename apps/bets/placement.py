"""Placing a bet: validated against the shard's replica of the catalog, stake held in the ledger
in the transaction that creates the bet.

A prematch bet is accepted at once: its stake is debited to the sportsbook. A live bet waits its
sport's in-play delay: its stake is reserved now, and the shard's pool re-validates it when the
delay is over (``apps.bets.live``), then commits the reservation or voids it. A refusal carries a
machine-readable code (``BetRefused``) and leaves nothing behind: no bet, no money moved. The
lines are seen and the legs checked as the live decision and cash-out do it (``apps.bets.lines``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import DatabaseError, IntegrityError, transaction

from apps.bets import arithmetic, risk
from apps.bets.bet_settings import (
    Figure,
    bet_limits,
    bet_settings_for,
    in_play_delay,
    lines_check,
    sport_market_limits,
)
from apps.bets.lines import LegRequest, LineRow, leg_check, lines_seen
from apps.bets.live import bet_live_schedule
from apps.bets.models import Bet, BetSettings
from apps.bets.refusals import BetRefused
from apps.realtime.notify import player_notify
from apps.wallet import api as wallet
from apps.wallet.api import InsufficientFunds
from shards import map as shard_map
from shards.prepared import prepared_cursor

MAX_LEGS = 20
DELAY_TTL_GRACE = dt.timedelta(minutes=2)


class SlipKeyReused(BetRefused):
    def __init__(self) -> None:
        super().__init__("idempotency_key_reused", "this key was used for another slip")


@dataclass(frozen=True)
class Slip:
    key: str
    kind: str  # single, multiple, system
    system: str  # for system bets: "doubles", "trebles", "yankee", ...
    unit_stake: int
    odds_policy: str  # any, higher, none
    legs: tuple[LegRequest, ...]

    def fingerprint(self) -> str:
        body = json.dumps(
            [
                self.kind,
                self.system,
                self.unit_stake,
                self.odds_policy,
                [[leg.market, leg.outcome, str(leg.odds)] for leg in self.legs],
            ],
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    bet: Bet
    replayed: bool
    legs: list[PlacedLeg] | None = None  # a new bet's (a replayed bet's are read when needed)


@dataclass(frozen=True)
class PlacedLeg:
    """A leg as written (what the API answers with, without reading it back)."""

    position: int
    event_id: int
    market: int
    market_id: int
    specifiers: str
    outcome_id: str
    odds: Decimal
    status: str = "open"


# -- placing ----------------------------------------------------------------------------------


def _shape(slip: Slip) -> int:
    """The number of lines of the slip, or BetRefused. Counted (a sum of binomial
    coefficients), never listed: the brand's cap on lines is checked before any line is."""
    n = len(slip.legs)
    if slip.odds_policy not in ("any", "higher", "none"):
        raise BetRefused("invalid_request", "odds_policy must be any, higher or none")
    if not 1 <= n <= MAX_LEGS:
        raise BetRefused("wrong_leg_count", f"a slip has 1 to {MAX_LEGS} legs")
    seen: set[tuple[int, str]] = set()
    for i, leg in enumerate(slip.legs):
        if (leg.market, leg.outcome) in seen:
            raise BetRefused(
                "duplicate_leg", "the same outcome twice", leg=i, selection=_selection(leg)
            )
        seen.add((leg.market, leg.outcome))
    if slip.kind not in ("single", "multiple", "system"):
        raise BetRefused("invalid_request", "kind must be single, multiple or system")
    try:
        return arithmetic.line_count(_system(slip), n)
    except arithmetic.BetShapeError as exc:
        raise BetRefused(exc.code, str(exc)) from None


def _selection(leg: LegRequest) -> dict[str, object]:
    """A leg's selection as a refusal names it (``BetRefused.selection``)."""
    return {"market": leg.market, "outcome": leg.outcome}


def _system(slip: Slip) -> str:
    """The arithmetic's name of the slip's shape (a single, a multiple, or the named system)."""
    return slip.kind if slip.kind in ("single", "multiple") else slip.system


# The player's row locked (one placement at a time per player) with their risk group and an
# earlier bet of this slip key; then, that lock held, a shared advisory lock on each line, in id
# order, keyed by the line's id: a settlement of one of them takes it exclusively, so it waits
# for this bet (and settles it too), or this bet waits for it; then the lines read in a new
# snapshot, which sees the result committed while the lock was awaited (and refuses). Advisory
# locks live in the lock manager's memory: unlike share-locking the line's row, many bets on one
# line create no multixacts and write nothing. One round trip (``bets_open_slip``,
# apps/bets/sql/bets_open_slip.sql): a row for each line found, the player's columns on each
# (one row with no line when none is found, or the player is refused, or the slip was placed
# before).
_OPEN_SLIP = "SELECT * FROM bets_open_slip(%s, %s, %s, %s)"


class SlipPlayer(NamedTuple):
    """The player's columns of ``bets_open_slip``, on each of its rows (then a ``LineRow``)."""

    player_ok: bool
    stake_factor: Decimal | None
    operator_max: int | None
    has_limits: bool
    earlier: int | None  # a bet already placed under the slip's key


_PLAYER_COLUMNS = len(SlipPlayer._fields)


def bet_place(*, brand_id: int, player_id: int, currency: str, slip: Slip) -> Placed:
    """Place the slip for the player (whose row this checks: a closed account is refused).

    One transaction on the player's shard, two statements: ``bets_open_slip`` locks the
    player's row (one placement at a time per player) and reads their risk group and an earlier
    bet of this slip key, takes the lines' advisory locks (a result for them waits for this bet,
    then settles it too) and reads the lines, which are then seen as the brand offers them;
    ``bets_place`` writes the bet, its legs and its liability and debits the stake. (A player
    with responsible-gambling limits adds one statement, summing what they have staked.)
    """
    using = shard_map.alias_for(player_id)
    printed = slip.fingerprint()
    lines = _shape(slip)
    settings = bet_settings_for(brand_id=brand_id, currency=currency)
    lines_check(lines=lines, settings=settings)
    try:
        with transaction.atomic(using=using):
            bet, legs, delay = _create(
                brand_id, player_id, currency, slip, lines, printed, using, settings
            )
    except InsufficientFunds:
        raise BetRefused("insufficient_funds", "not enough funds for this stake") from None
    except risk.LimitReached as exc:
        raise BetRefused(
            f"{exc.kind}_limit",
            f"your {exc.kind} limit per {exc.period}",
            period=exc.period,
            left=exc.left,
        ) from None
    except IntegrityError as exc:
        if "bet_slip_once" not in str(exc):
            raise
        # The same slip sent twice at once: the other request created it.
        earlier = Bet.objects.using(using).get(player_id=player_id, slip_key=slip.key)
        return _replay(earlier, printed)
    if isinstance(bet, _Earlier):
        return _replay(Bet.objects.using(using).get(pk=bet.id), printed)
    if bet.status == "pending":
        transaction.on_commit(lambda: bet_live_schedule(bet=bet, delay=delay), using=using)
    player_notify(
        using=using,
        brand_id=brand_id,
        player_id=player_id,
        message={"type": "bet", "bet": str(bet.id), "status": bet.status, "refusal": ""},
    )
    return Placed(bet=bet, replayed=False, legs=legs)


def _stake_check(stake: int, brand_max: int, scope: str, player: SlipPlayer) -> None:
    """Refuse a stake above ``brand_max`` (the brand's, or a sport's or market's: ``scope``)
    as the player's risk group and the operator's own limit for them narrow it."""
    max_stake = risk.stake_max(
        brand_max=brand_max,
        stake_factor=player.stake_factor,
        operator_max=player.operator_max,
    )
    if stake <= max_stake:
        return
    if scope and max_stake == risk.stake_max(
        brand_max=brand_max, stake_factor=player.stake_factor, operator_max=None
    ):
        raise BetRefused(
            "stake_too_high",
            f"above the maximum stake for {scope}",
            max_stake=max_stake,
            applies_to=scope,
        )
    raise BetRefused("stake_too_high", "above the maximum stake", max_stake=max_stake)


@dataclass(frozen=True)
class _Earlier:
    id: int  # a bet of this slip key, already placed


def _create(
    brand_id: int,
    player_id: int,
    currency: str,
    slip: Slip,
    lines: int,
    printed: str,
    using: str,
    settings: BetSettings,
) -> tuple[Bet | _Earlier, list[PlacedLeg], int]:
    """Inside the bet's transaction: lock the player and (shared) the lines, validate against
    the replica, then write."""
    with prepared_cursor(using) as cursor:
        cursor.execute(
            _OPEN_SLIP, [brand_id, slip.key, player_id, [leg.market for leg in slip.legs]]
        )
        rows = cursor.fetchall()
    player = SlipPlayer._make(rows[0][:_PLAYER_COLUMNS])
    if not player.player_ok:
        raise BetRefused("account_closed", "this account takes no bets")
    if player.earlier is not None:
        return _Earlier(player.earlier), [], 0
    if slip.unit_stake < settings.min_stake:
        raise BetRefused("stake_too_low", "below the minimum stake", min_stake=settings.min_stake)
    stake = slip.unit_stake * lines
    _stake_check(stake, settings.max_stake, "", player)
    if wallet.wallet_is_external(brand_id):
        # The operator's wallet is called over HTTP; inside the bet's transaction a failure
        # could leave the operator's side without a bet. Not offered until it is outside.
        raise BetRefused("external_wallet_not_supported", "bets need the platform's wallet here")
    if player.has_limits:
        risk.limits_check(using=using, player_id=player_id, stake=stake)
    found = (LineRow._make(row[_PLAYER_COLUMNS:]) for row in rows)
    now = lines_seen(rows=(line for line in found if line.id is not None), brand_id=brand_id)
    taken = [
        leg_check(position=i, leg=leg, line=now.get(leg.market), policy=slip.odds_policy)
        for i, leg in enumerate(slip.legs)
    ]
    limits = sport_market_limits(brand_id=brand_id, currency=currency)
    if limits:
        # The limits of the legs' sports and markets, now that the lines are known.
        held = bet_limits(
            settings=settings,
            limits=limits,
            legs=[(now[leg.market].sport_id, now[leg.market].market_id) for leg in slip.legs],
        )
        if slip.unit_stake < held.min_stake.amount:
            raise BetRefused(
                "stake_too_low",
                f"below the minimum stake for {held.min_stake.scope}",
                min_stake=held.min_stake.amount,
                applies_to=held.min_stake.scope,
            )
        _stake_check(stake, held.max_stake.amount, held.max_stake.scope, player)
        max_payout = held.max_payout
    else:
        max_payout = Figure(settings.max_payout)
    events = [now[leg.market].event_id for leg in slip.legs]
    if slip.kind != "single" and len(set(events)) != len(events) and not settings.allow_same_event:
        again = next(i for i, event in enumerate(events) if event in events[:i])
        raise BetRefused(
            "same_event",
            "two legs of one event in a multiple",
            leg=again,
            selection=_selection(slip.legs[again]),
            other_leg=events.index(events[again]),
        )
    potential = arithmetic.potential_payout(
        arithmetic.Bet(
            system=_system(slip),
            unit_stake=slip.unit_stake,
            legs=tuple(arithmetic.Leg(odds=odds) for odds in taken),
        )
    )
    if potential > max_payout.amount:
        if max_payout.scope:
            raise BetRefused(
                "payout_too_high",
                f"above the maximum payout for {max_payout.scope}",
                max_payout=max_payout.amount,
                applies_to=max_payout.scope,
            )
        raise BetRefused(
            "payout_too_high", "above the maximum payout", max_payout=max_payout.amount
        )
    live = any(now[leg.market].live for leg in slip.legs)
    delay = max((in_play_delay(sport_id=now[leg.market].sport_id) for leg in slip.legs), default=0)
    status = "pending" if live and delay else "open"
    debit = (  # a live bet's stake is reserved after the write instead (_reserve_stake)
        wallet.wallet_prepare_debit(
            using=using,
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            amount=stake,
            product="sportsbook",
        )
        if status == "open"
        else None
    )
    lines_of = [now[leg.market] for leg in slip.legs]
    with prepared_cursor(using) as cursor, wallet.wallet_posting_errors():
        try:
            cursor.execute(
                _PLACE,
                [
                    player_id,
                    brand_id,
                    currency,
                    slip.key,
                    printed,
                    slip.kind,
                    slip.system,
                    lines,
                    slip.unit_stake,
                    stake,
                    potential,
                    slip.odds_policy,
                    live,
                    status,
                    json.dumps(
                        [
                            {
                                "p": i,
                                "e": line.event_id,
                                "m": line.market,
                                "mi": line.market_id,
                                "s": line.specifiers,
                                "o": leg.outcome,
                                "od": str(odds),
                            }
                            for i, (leg, line, odds) in enumerate(
                                zip(slip.legs, lines_of, taken, strict=True)
                            )
                        ]
                    ),
                    settings.max_line_liability // shard_map.shard_count(),
                    *(
                        (
                            debit.request_print,
                            debit.debits[0],
                            debit.credits[0],
                            debit.player_accounts,
                        )
                        if debit
                        else (None, None, None, None)
                    ),
                ],
            )
        except DatabaseError as exc:
            refused = risk.over_limit(exc)
            leg = refused.leg if 0 <= refused.leg < len(slip.legs) else None
            raise BetRefused(
                "liability_limit",
                "the book takes no more on this line",
                leg=leg,
                selection=None if leg is None else _selection(slip.legs[leg]),
            ) from None
        bet_id, placed_at, operation, balances = cursor.fetchone()
    bet = Bet(
        id=bet_id,
        player_id=player_id,
        brand_id=brand_id,
        currency=currency,
        slip_key=slip.key,
        slip_print=printed,
        kind=slip.kind,
        system=slip.system,
        lines=lines,
        unit_stake=slip.unit_stake,
        stake=stake,
        staked=stake,
        potential_payout=potential,
        odds_policy=slip.odds_policy,
        live=live,
        status=status,
        placed_at=placed_at,
    )
    bet._state.adding, bet._state.db = False, using
    legs = [
        PlacedLeg(
            position=i,
            event_id=line.event_id,
            market=line.market,
            market_id=line.market_id,
            specifiers=line.specifiers,
            outcome_id=leg.outcome,
            odds=odds,
        )
        for i, (leg, line, odds) in enumerate(zip(slip.legs, lines_of, taken, strict=True))
    ]
    if debit is not None:
        wallet.wallet_debit_posted(debit, using=using, operation_id=operation, balances=balances)
    else:
        _reserve_stake(bet, delay)
    return bet, legs, delay


_PLACE = """
SELECT out_bet, out_placed_at, out_operation, out_balances FROM bets_place(
    %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb,
    %s, %s, %s, %s, %s::bigint[])
"""


def _reserve_stake(bet: Bet, delay: int) -> None:
    """Inside the bet's transaction: reserve a live bet's stake until its delay is over."""
    held = wallet.wallet_reserve(
        brand_id=bet.brand_id,
        player_id=bet.player_id,
        currency=bet.currency,
        amount=bet.stake,
        product="sportsbook",
        idempotency_key=f"bet:{bet.id}:hold",
        ttl=dt.timedelta(seconds=delay) + DELAY_TTL_GRACE,
        details={"bet": str(bet.id)},
    )
    bet.reservation_id = held.reservation_id
    bet.save(using=bet._state.db, update_fields=["reservation_id"])


def _replay(earlier: Bet, printed: str) -> Placed:
    if earlier.slip_print != printed:
        raise SlipKeyReused()
    return Placed(bet=earlier, replayed=True)


def parse_odds(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise BetRefused("invalid_request", f"odds {raw!r} are not a number") from None
    if not value.is_finite() or value < 1:
        raise BetRefused("invalid_request", "odds are at least 1")
    return value
