"""The bets API for the logged-in player: place a slip, list my bets."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import ApiError
from apps.bets import cashout, placement, selectors
from apps.bets.models import Bet
from apps.wallet.rest import logged_in_player
from shards import map as shard_map

REFUSAL_STATUS = {"idempotency_key_reused": 409, "insufficient_funds": 402, "unknown_bet": 404}


class LegIn(serializers.Serializer):
    market = serializers.IntegerField(min_value=1)
    outcome = serializers.CharField(max_length=60)
    odds = serializers.CharField(max_length=20)


class SlipIn(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=["single", "multiple", "system"])
    system = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    stake = serializers.IntegerField(
        min_value=1, max_value=10**12, help_text="per line, minor units"
    )
    odds_policy = serializers.ChoiceField(choices=["any", "higher", "none"], default="none")
    legs = LegIn(many=True, allow_empty=False)


def bet_json(bet: Bet, legs=None, cash_out: int | None = None) -> dict:
    legs = legs if legs is not None else list(bet.legs.all().order_by("position"))
    return {
        "cash_out_offer": cash_out,
        "id": str(bet.id),
        "status": bet.status,
        "refusal": bet.refusal or None,
        "kind": bet.kind,
        "system": bet.system or None,
        "lines": bet.lines,
        "unit_stake": bet.unit_stake,
        "stake": bet.stake,
        "currency": bet.currency,
        "potential_payout": bet.potential_payout,
        "payout": bet.payout,
        "live": bet.live,
        "placed_at": bet.placed_at.isoformat() if bet.placed_at else None,
        "settled_at": bet.settled_at.isoformat() if bet.settled_at else None,
        "legs": [
            {
                "event": str(leg.event_id),
                "market": str(leg.market),
                "market_id": leg.market_id,
                "specifiers": leg.specifiers,
                "outcome": leg.outcome_id,
                "odds": str(leg.odds),
                "status": leg.status,
            }
            for leg in legs
        ],
    }


class CashOutIn(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=100)
    offer = serializers.IntegerField(min_value=1, help_text="the offer the player saw")
    tolerance = serializers.IntegerField(min_value=0, default=0)
    amount = serializers.IntegerField(min_value=1, required=False, help_text="partial: this much")


def _refusal(exc: placement.BetRefused) -> Response:
    body = {"error": {"code": exc.code, "message": str(exc)}}
    if exc.leg is not None:
        body["error"]["leg"] = exc.leg
    if exc.detail:
        body["error"]["detail"] = exc.detail
    return Response(body, status=REFUSAL_STATUS.get(exc.code, 422))


class CashOutView(APIView):
    def get(self, request: Request, bet_id: int) -> Response:
        player = logged_in_player(request)
        try:
            offer = cashout.offer_for(player_id=player.id, bet_id=bet_id)
        except placement.BetRefused as exc:
            return _refusal(exc)
        return Response({"bet": str(bet_id), "offer": offer.offer})

    def post(self, request: Request, bet_id: int) -> Response:
        player = logged_in_player(request)
        data = CashOutIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            done = cashout.cash_out(
                player_id=player.id, bet_id=bet_id, key=v["idempotency_key"],
                seen_offer=v["offer"], tolerance=v["tolerance"], amount=v.get("amount"),
            )  # fmt: skip
        except placement.BetRefused as exc:
            return _refusal(exc)
        return Response(
            {"bet": str(bet_id), "paid": done.amount, "unit_stake_after": done.unit_stake_after}
        )


class BetsView(APIView):
    def get(self, request: Request) -> Response:
        player = logged_in_player(request)
        which = request.query_params.get("status", "open")
        if which not in selectors.LISTS:
            raise ApiError("invalid_request", "status is open or settled", field="status")
        bets = selectors.player_bets(player_id=player.id, which=which)
        offers = cashout.offers(bets, shard_map.alias_for(player.id)) if which == "open" else {}
        return Response({"bets": [bet_json(bet, legs, offers.get(bet.id)) for bet, legs in bets]})

    def post(self, request: Request) -> Response:
        player = logged_in_player(request)
        data = SlipIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            slip = placement.Slip(
                key=v["idempotency_key"],
                kind=v["kind"],
                system=v["system"],
                unit_stake=v["stake"],
                odds_policy=v["odds_policy"],
                legs=tuple(
                    placement.LegRequest(
                        market=leg["market"],
                        outcome=leg["outcome"],
                        odds=placement.parse_odds(leg["odds"]),
                    )
                    for leg in v["legs"]
                ),
            )
            placed = placement.place(
                brand_id=player.brand_id,
                player_id=player.id,
                currency=request.tenant.currency,
                slip=slip,
            )
        except placement.BetRefused as exc:
            return _refusal(exc)
        return Response(bet_json(placed.bet), status=200 if placed.replayed else 201)
