"""The wallet's public API for the logged-in player: the balance and the history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import AsciiIntegerField
from apps.players.rest import logged_in_player
from apps.wallet import selectors
from apps.wallet.api_docs import BalanceOut, HistoryOut
from apps.wallet.results import Balance


def balance_json(balance: Balance) -> dict:
    return {
        "currency": balance.currency,
        "cash": balance.cash,
        "bonus": balance.bonus,
        "reserved": balance.reserved,
        "available": balance.available,
    }


def item_json(item: selectors.HistoryItem) -> dict:
    return {
        "id": str(item.id),
        "kind": item.kind,
        "amount": item.amount,
        "currency": item.currency,
        "product": item.product,
        "created_at": item.created_at.isoformat(),
        "cash_after": item.cash_after,
        "changes": item.changes,
        "operation_amount": item.operation_amount,
        "reservation_id": str(item.reservation_id) if item.reservation_id else None,
    }


class HistoryQuery(serializers.Serializer):
    before = serializers.CharField(
        required=False, allow_blank=True, max_length=20, trim_whitespace=False
    )
    limit = AsciiIntegerField(
        required=False, min_value=1, max_value=selectors.MAX_PAGE, default=selectors.DEFAULT_PAGE
    )

    def validate_before(self, value: str) -> int | None:
        try:
            return selectors.parse_cursor(value)
        except selectors.InvalidCursor as exc:
            raise serializers.ValidationError(str(exc)) from None


class WalletView(APIView):
    @extend_schema(summary="The player's balance (minor units)", responses={200: BalanceOut})
    def get(self, request: Request) -> Response:
        player = logged_in_player(request)
        balance = selectors.player_balance(
            brand_id=player.brand_id, player_id=player.id, currency=request.tenant.currency
        )
        return Response(balance_json(balance))


class TransactionsView(APIView):
    @extend_schema(
        operation_id="wallet_transactions_list",
        summary="The player's wallet history, newest first",
        parameters=[HistoryQuery],
        responses={200: HistoryOut},
    )
    def get(self, request: Request) -> Response:
        player = logged_in_player(request)
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.player_history(
            brand_id=player.brand_id,
            player_id=player.id,
            before=query.validated_data.get("before"),
            limit=query.validated_data["limit"],
        )
        return Response(
            {
                "items": [item_json(item) for item in page.items],
                "next": str(page.next) if page.next is not None else None,
            }
        )
