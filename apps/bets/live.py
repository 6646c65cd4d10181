"""Live bets: after the sport's in-play delay, on the player's shard pool, the bet is checked
again against the odds and bet stops that arrived meanwhile, then accepted (the reserved stake is
taken) or refused (the reservation is voided: the stake goes back)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from apps.bets import arithmetic, risk, turnover
from apps.bets.cashout import pending_cash_outs_sweep
from apps.bets.lines import LegRequest, leg_check, lines_now
from apps.bets.models import Bet, BetLeg
from apps.bets.refusals import BetRefused
from apps.bets.settlement import bet_shape, settlement_sweep
from apps.realtime.notify import player_notify
from apps.wallet import api as wallet
from apps.wallet.api import ReservationClosed
from shards import map as shard_map
from shards.tasks import shard_task

log = logging.getLogger(__name__)


def bet_live_schedule(*, bet: Bet, delay: int) -> None:
    """Have the shard's pool decide the pending live bet once its delay is over."""
    decide_live_bet.apply_async(
        kwargs={"player_id": bet.player_id, "bet_id": bet.id}, countdown=delay
    )


def bet_live_decide(*, player_id: int, bet_id: int) -> str:
    """Accept or refuse a pending live bet, once; the bet's status afterwards."""
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using):
        bet = (
            Bet.objects.using(using).select_for_update().filter(pk=bet_id, player_id=player_id)
        ).first()
        if bet is None or bet.status != "pending":
            return bet.status if bet else "unknown"
        legs = list(bet.legs.all().order_by("position"))
        now = lines_now(using=using, markets=[leg.market for leg in legs], brand_id=bet.brand_id)
        refusal, details = "", {}
        try:
            moved = []
            for leg in legs:
                request = LegRequest(market=leg.market, outcome=leg.outcome_id, odds=leg.odds)
                # Re-checked against the odds now, by the player's policy: with "any" the bet
                # stands at the current odds; otherwise only unchanged (or, "higher", better).
                current = leg_check(
                    position=leg.position,
                    leg=request,
                    line=now.get(leg.market),
                    policy=bet.odds_policy,
                )
                if bet.odds_policy == "any" and current != leg.odds:
                    leg.odds = current
                    moved.append(leg)
        except BetRefused as exc:
            refusal, details = exc.code, exc.details(currency=bet.currency)
        if not refusal and moved:
            BetLeg.objects.using(using).bulk_update(moved, ["odds"])
            risk.liability_release(bet=bet, legs=legs, using=using)
            bet.potential_payout = arithmetic.potential_payout(bet_shape(bet, legs, settled=False))
            risk.liability_take(bet=bet, legs=legs, using=using)
            bet.save(using=using, update_fields=["potential_payout"])
        common = {"brand_id": bet.brand_id, "player_id": player_id, "currency": bet.currency}
        if refusal:
            with contextlib.suppress(ReservationClosed):  # expired: the stake is back already
                wallet.wallet_void(
                    **common,
                    reservation_id=bet.reservation_id,
                    idempotency_key=f"bet:{bet.id}:release",
                )
            bet.status, bet.refusal = "refused", refusal
            risk.liability_release(bet=bet, legs=legs, using=using)
        else:
            try:
                wallet.wallet_commit(
                    **common,
                    reservation_id=bet.reservation_id,
                    amount=bet.stake,
                    idempotency_key=f"bet:{bet.id}:stake",
                )
                bet.status = "open"
            except ReservationClosed:
                # Decided too late (the pool was down past the reservation's time-out): the
                # stake went back to the player already, so the bet cannot stand.
                bet.status, bet.refusal = "refused", "expired"
                risk.liability_release(bet=bet, legs=legs, using=using)
        bet.decided_at = timezone.now()
        bet.save(using=using, update_fields=["status", "refusal", "decided_at"])
        player_notify(
            using=using,
            brand_id=bet.brand_id,
            player_id=player_id,
            message={
                "type": "bet",
                "bet": str(bet.id),
                "status": bet.status,
                "refusal": bet.refusal,
                # Which leg and why (its selection, the odds now), for the slip to explain it.
                "details": details,
            },
        )
    return bet.status


FORGOTTEN_AFTER = dt.timedelta(minutes=1)  # far beyond any sport's in-play delay


def pending_bets_sweep(*, shard: int, batch: int = 200) -> int:
    """Decide the pending live bets of a shard whose decision never came (its task was lost);
    how many were decided."""
    using = shard_map.alias(shard)
    stale = list(
        Bet.objects.using(using)
        .filter(status="pending", placed_at__lt=timezone.now() - FORGOTTEN_AFTER)
        .values_list("player_id", "id")[:batch]
    )
    for player_id, bet_id in stale:
        bet_live_decide(player_id=player_id, bet_id=bet_id)
    if stale:
        log.warning("forgotten live bets decided", extra={"shard": shard, "bets": len(stale)})
    return len(stale)


@shard_task(name="bets.announce_liability")
def announce_liability(*, shard: int) -> int:
    """What changed on the shard's liability since the last time, to the global risk view, and
    on its brands' daily figures, to the dashboard (``turnover``)."""
    using = shard_map.alias(shard)
    return risk.liability_announce(using=using) + turnover.turnover_announce(using=using)


@shard_task(name="bets.sweep_settlements")
def sweep_settlements(*, shard: int) -> int:
    """Settlement runs whose worker died before it paid every bet, finished."""
    return settlement_sweep(shard=shard)


@shard_task(name="bets.sweep_pending")
def sweep_pending(*, shard: int) -> int:
    """Live bets and cash-outs whose decision task was lost, decided."""
    return pending_bets_sweep(shard=shard) + pending_cash_outs_sweep(shard=shard)


@shard_task(name="bets.decide_live_bet", acks_late=True)
def decide_live_bet(*, player_id: int, bet_id: int) -> str:
    return bet_live_decide(player_id=player_id, bet_id=bet_id)
