"""Cash-out: the price of an open bet from current odds, and paying it, whole or in part.

The offer is the bet's current equity (each open leg valued at placed odds / current odds, each
settled leg at its factor; :mod:`apps.bets.arithmetic`) less the brand's cash-out margin. It is
refused while any open leg's market takes no bets (suspended, producer down, closed). The player
sends the offer they saw and how far it may have moved; a price that moved further is refused
with the new one. A partial cash-out pays part of the offer and retires the matching part of the
stake; the rest of the bet carries on. Each cash-out is applied once per key.

A cash-out takes a placement's locks, in its order: the player's row (``players_lock_for_bet``),
the bet's row, then a shared advisory lock on each of the bet's lines in id order, which a
settlement takes exclusively. The legs and lines are read after that, so a result for one of the
bet's lines either committed before (the cash-out sees it: the leg is resolved, the line closed)
or waits for the cash-out to commit (and then finds the bet cashed out, or paid on what is left).

A bet with a leg in play is cashed out after its sport's in-play delay, as a live bet is placed:
the request is recorded (``pending``, answered at once) and the shard's pool decides it once the
delay is over (:func:`cash_out_decide`): quoted again at the odds of that moment, refused if the
offer moved beyond the player's tolerance or a leg's market closed meanwhile, paid otherwise. The
decision is pushed to the player's socket; a decision whose task was lost is made by the sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.bets import arithmetic, risk
from apps.bets.bet_settings import bet_settings_for, in_play_delay, lines_check
from apps.bets.lines import LineNow, lines_hold, lines_now
from apps.bets.models import Bet, BetLeg, CashOut
from apps.bets.refusals import BetRefused
from apps.bets.settlement import bet_shape
from apps.realtime.notify import player_notify
from apps.wallet import api as wallet
from shards import map as shard_map
from shards.prepared import prepared_cursor
from shards.tasks import shard_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CashOutOffer:
    bet_id: int
    offer: int  # minor units, the whole bet
    unit_stake: int


def cash_out_quote(
    *, bet: Bet, legs: list[BetLeg], using: str, now: dict[int, LineNow] | None = None
) -> CashOutOffer:
    """What the bet can be cashed out for now, or BetRefused (``now``: the lines' states, when
    the caller read them for many bets at once)."""
    if bet.status != "open":
        raise BetRefused("not_open", "only an open bet can be cashed out")
    settings = bet_settings_for(brand_id=bet.brand_id, currency=bet.currency)
    # Pricing lists every line; a bet of more lines than the brand now takes is not priced.
    lines_check(lines=bet.lines, settings=settings)
    if now is None:
        now = lines_now(
            using=using,
            markets=[leg.market for leg in legs if leg.status == "open"],
            brand_id=bet.brand_id,
        )
    current = []
    for leg in legs:
        if leg.status != "open":
            current.append(None)
            continue
        line = now.get(leg.market)
        if line is None or not line.open or leg.outcome_id not in line.odds:
            raise BetRefused("leg_suspended", "a leg's market takes no bets now", leg=leg.position)
        current.append(line.odds[leg.outcome_id])
    margin = Decimal(str(settings.cashout_margin_pct)) / 100
    priced = arithmetic.cash_out_price(bet_shape(bet, legs), current, margin)
    if priced is None or priced.offer <= 0:
        raise BetRefused("no_offer", "this bet has no cash-out value now")
    return CashOutOffer(bet_id=bet.id, offer=priced.offer, unit_stake=bet.unit_stake)


def cash_out_offers(*, bets: list[tuple[Bet, list[BetLeg]]], using: str) -> dict[int, int | None]:
    """Each open bet's cash-out offer (None: none now), reading the lines once for all (the
    bets are one player's, so of one brand)."""
    markets = {leg.market for bet, legs in bets if bet.status == "open" for leg in legs}
    brands = {bet.brand_id for bet, _legs in bets}
    if len(brands) > 1:
        raise ValueError("offers are quoted for one brand's bets at a time")
    now = lines_now(using=using, markets=list(markets), brand_id=brands.pop()) if markets else {}
    out: dict[int, int | None] = {}
    for bet, legs in bets:
        try:
            out[bet.id] = cash_out_quote(bet=bet, legs=legs, using=using, now=now).offer
        except BetRefused:
            out[bet.id] = None
    return out


def cash_out_offer(*, player_id: int, bet_id: int) -> CashOutOffer:
    """What the player's bet can be cashed out for now, or BetRefused."""
    using = shard_map.alias_for(player_id)
    bet = Bet.objects.using(using).filter(pk=bet_id, player_id=player_id).first()
    if bet is None:
        raise BetRefused("unknown_bet", "no such bet")
    legs = list(BetLeg.objects.using(using).filter(bet_id=bet.id).order_by("position"))
    return cash_out_quote(bet=bet, legs=legs, using=using)


# -- cashing out ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    """A bet locked for a cash-out, with its legs and their lines read after the locks."""

    bet: Bet
    legs: list[BetLeg]
    now: dict[int, LineNow]


_LOCK_PLAYER = "SELECT players_lock_for_bet(%s, %s)"


def _hold(using: str, player_id: int, bet_id: int) -> _Held:
    """Inside the cash-out's transaction: the player's row, the bet's row, then (shared) the
    bet's lines locked, in a placement's order; then the legs and lines read, each statement in
    a new snapshot, so a result committed while a lock was awaited is seen."""
    brand_id = (
        Bet.objects.using(using)
        .filter(pk=bet_id, player_id=player_id)
        .values_list("brand_id", flat=True)
        .first()
    )
    if brand_id is None:
        raise BetRefused("unknown_bet", "no such bet")
    with prepared_cursor(using) as cursor:
        cursor.execute(_LOCK_PLAYER, [player_id, brand_id])
        (may_bet,) = cursor.fetchone()
    if not may_bet:
        raise BetRefused("account_closed", "this account takes no bets")
    bet = Bet.objects.using(using).select_for_update().get(pk=bet_id)
    markets = list(
        BetLeg.objects.using(using).filter(bet_id=bet_id).values_list("market", flat=True)
    )
    lines_hold(using=using, markets=markets)
    legs = list(BetLeg.objects.using(using).filter(bet_id=bet_id).order_by("position"))
    open_markets = [leg.market for leg in legs if leg.status == "open"]
    now = lines_now(using=using, markets=open_markets, brand_id=brand_id) if open_markets else {}
    return _Held(bet=bet, legs=legs, now=now)


def _quote_within(
    held: _Held, using: str, *, seen_offer: int, tolerance: int, amount: int | None
) -> CashOutOffer:
    """The offer now, or BetRefused if it moved beyond the tolerance or ``amount`` exceeds it."""
    quote = cash_out_quote(bet=held.bet, legs=held.legs, using=using, now=held.now)
    if abs(quote.offer - seen_offer) > max(tolerance, 0):
        raise BetRefused("price_moved", "the cash-out price moved", offer=quote.offer)
    wanted = quote.offer if amount is None else amount
    if not 0 < wanted <= quote.offer:
        raise BetRefused("invalid_amount", "between 1 and the offer", offer=quote.offer)
    return quote


def _delay(held: _Held) -> int:
    """The in-play delay the cash-out waits: the longest of its open legs' sports in play."""
    return max(
        (
            in_play_delay(sport_id=line.sport_id)
            for leg in held.legs
            if leg.status == "open" and (line := held.now.get(leg.market)) is not None and line.live
        ),
        default=0,
    )


def _pay(held: _Held, quote: CashOutOffer, record: CashOut, using: str) -> None:
    """Inside the locked transaction: pay ``record`` (its amount, or the whole offer) and retire
    the matching part of the bet's stake."""
    bet, legs = held.bet, held.legs
    wanted = quote.offer if record.requested is None else record.requested
    part = arithmetic.partial_cash_out(bet.unit_stake, quote.offer, wanted)
    record.status = "paid"
    record.amount = part.paid
    record.unit_stake_before = bet.unit_stake
    record.unit_stake_after = part.remaining_stake
    record.save(using=using)
    risk.liability_release(bet=bet, legs=legs, using=using)
    if part.is_full:
        bet.status = "cashed_out"
        bet.payout = part.paid
    else:
        bet.unit_stake = part.remaining_stake
        bet.stake = part.remaining_stake * bet.lines
        bet.potential_payout = arithmetic.potential_payout(bet_shape(bet, legs))
        risk.liability_take(bet=bet, legs=legs, using=using)  # what runs on
    bet.save(using=using)
    wallet.wallet_credit(
        brand_id=bet.brand_id,
        player_id=bet.player_id,
        currency=bet.currency,
        amount=part.paid,
        product="sportsbook",
        idempotency_key=f"bet:{bet.id}:cashout:{record.id}",
        details={"bet": str(bet.id), "cash_out": record.key},
    )


def bet_cash_out(
    *,
    player_id: int,
    bet_id: int,
    key: str,
    seen_offer: int,
    tolerance: int = 0,
    amount: int | None = None,
) -> CashOut:
    """Cash out ``amount`` (the whole offer when None) of the bet, once per ``key``: paid now,
    or, for a bet with a leg in play, ``pending`` until the sport's in-play delay is over
    (decided then by :func:`cash_out_decide`). The same key again returns the same record."""
    using = shard_map.alias_for(player_id)
    try:
        with transaction.atomic(using=using):
            held = _hold(using, player_id, bet_id)
            done = CashOut.objects.using(using).filter(bet=held.bet, key=key).first()
            if done is not None:
                return done
            quote = _quote_within(
                held, using, seen_offer=seen_offer, tolerance=tolerance, amount=amount
            )
            record = CashOut(
                bet=held.bet,
                player_id=player_id,
                key=key,
                amount=0,
                unit_stake_before=held.bet.unit_stake,
                unit_stake_after=held.bet.unit_stake,
                seen_offer=seen_offer,
                tolerance=max(tolerance, 0),
                requested=amount,
            )
            delay = _delay(held)
            if delay:
                record.status = "pending"
                record.save(using=using)
                transaction.on_commit(
                    lambda: cash_out_schedule(record=record, delay=delay), using=using
                )
                return record
            _pay(held, quote, record, using)
            return record
    except IntegrityError as exc:
        if "cash_out_once" not in str(exc):
            raise
        return CashOut.objects.using(using).get(bet_id=bet_id, key=key)


def cash_out_schedule(*, record: CashOut, delay: int) -> None:
    """Have the shard's pool decide the pending cash-out once its delay is over."""
    decide_cash_out.apply_async(
        kwargs={"player_id": record.player_id, "cash_out_id": record.id}, countdown=delay
    )


def cash_out_decide(*, player_id: int, cash_out_id: int) -> str:
    """Pay or refuse a pending cash-out at the odds now, once; its status afterwards."""
    using = shard_map.alias_for(player_id)
    bet_id = (
        CashOut.objects.using(using)
        .filter(pk=cash_out_id, player_id=player_id)
        .values_list("bet_id", flat=True)
        .first()
    )
    if bet_id is None:
        return "unknown"
    with transaction.atomic(using=using):
        try:
            held: _Held | None = _hold(using, player_id, bet_id)
            refusal = ""
        except BetRefused as exc:
            held, refusal = None, exc.code
        record = CashOut.objects.using(using).select_for_update().get(pk=cash_out_id)
        if record.status != "pending":
            return record.status
        if held is not None:
            try:
                quote = _quote_within(
                    held,
                    using,
                    seen_offer=record.seen_offer or 0,
                    tolerance=record.tolerance,
                    amount=record.requested,
                )
            except BetRefused as exc:
                refusal = exc.code
        if refusal:
            record.status, record.refusal = "refused", refusal
        else:
            _pay(held, quote, record, using)
        record.decided_at = timezone.now()
        record.save(using=using, update_fields=["status", "refusal", "decided_at"])
        player_notify(
            using=using,
            brand_id=held.bet.brand_id if held else record.bet.brand_id,
            player_id=player_id,
            message={
                "type": "cash_out",
                "bet": str(bet_id),
                "status": record.status,
                "paid": record.amount,
                "refusal": record.refusal,
            },
        )
    return record.status


FORGOTTEN_AFTER = dt.timedelta(minutes=1)  # far beyond any sport's in-play delay


def pending_cash_outs_sweep(*, shard: int, batch: int = 200) -> int:
    """Decide the pending cash-outs of a shard whose decision never came (its task was lost);
    how many were decided."""
    using = shard_map.alias(shard)
    stale = list(
        CashOut.objects.using(using)
        .filter(status="pending", created_at__lt=timezone.now() - FORGOTTEN_AFTER)
        .values_list("player_id", "id")[:batch]
    )
    for player_id, cash_out_id in stale:
        cash_out_decide(player_id=player_id, cash_out_id=cash_out_id)
    if stale:
        log.warning("forgotten cash-outs decided", extra={"shard": shard, "cash_outs": len(stale)})
    return len(stale)


@shard_task(name="bets.decide_cash_out", acks_late=True)
def decide_cash_out(*, player_id: int, cash_out_id: int) -> str:
    return cash_out_decide(player_id=player_id, cash_out_id=cash_out_id)
