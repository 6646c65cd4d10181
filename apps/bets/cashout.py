"""Cash-out: the price of an open bet from current odds, and paying it, whole or in part.

The offer is the bet's current equity (each open leg valued at placed odds / current odds, each
settled leg at its factor; :mod:`apps.bets.arithmetic`) less the brand's cash-out margin. It is
refused while any open leg's market takes no bets (suspended, producer down, closed). The player
sends the offer they saw and how far it may have moved; a price that moved further is refused
with the new one. A partial cash-out pays part of the offer and retires the matching part of the
stake; the rest of the bet carries on. Each cash-out is applied once per key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from apps.bets import arithmetic, risk
from apps.bets.bet_settings import bet_settings_for
from apps.bets.lines import LineNow, lines_now
from apps.bets.models import Bet, BetLeg, CashOut
from apps.bets.refusals import BetRefused
from apps.bets.settlement import bet_shape
from apps.wallet import api as wallet
from shards import map as shard_map


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
    settings = bet_settings_for(brand_id=bet.brand_id, currency=bet.currency)
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


def bet_cash_out(
    *,
    player_id: int,
    bet_id: int,
    key: str,
    seen_offer: int,
    tolerance: int = 0,
    amount: int | None = None,
) -> CashOut:
    """Cash out ``amount`` (the whole offer when None) of the bet, once per ``key``."""
    using = shard_map.alias_for(player_id)
    try:
        with transaction.atomic(using=using):
            bet = (
                Bet.objects.using(using)
                .select_for_update()
                .filter(pk=bet_id, player_id=player_id)
                .first()
            )
            if bet is None:
                raise BetRefused("unknown_bet", "no such bet")
            done = CashOut.objects.using(using).filter(bet=bet, key=key).first()
            if done is not None:
                return done
            legs = list(BetLeg.objects.using(using).filter(bet_id=bet.id).order_by("position"))
            now = cash_out_quote(bet=bet, legs=legs, using=using)
            if abs(now.offer - seen_offer) > max(tolerance, 0):
                raise BetRefused("price_moved", "the cash-out price moved", offer=now.offer)
            wanted = now.offer if amount is None else amount
            if not 0 < wanted <= now.offer:
                raise BetRefused("invalid_amount", "between 1 and the offer", offer=now.offer)
            part = arithmetic.partial_cash_out(bet.unit_stake, now.offer, wanted)
            record = CashOut(
                bet=bet,
                player_id=player_id,
                key=key,
                amount=part.paid,
                unit_stake_before=bet.unit_stake,
                unit_stake_after=part.remaining_stake,
            )
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
                player_id=player_id,
                currency=bet.currency,
                amount=part.paid,
                product="sportsbook",
                idempotency_key=f"bet:{bet.id}:cashout:{record.id}",
                details={"bet": str(bet.id), "cash_out": key},
            )
            return record
    except IntegrityError as exc:
        if "cash_out_once" not in str(exc):
            raise
        return CashOut.objects.using(using).get(bet_id=bet_id, key=key)
