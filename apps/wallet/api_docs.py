"""What the wallet's API answers, described for the API's schema (``/api/schema/``). Amounts
are integers in the brand currency's minor units."""

from rest_framework import serializers


class BalanceOut(serializers.Serializer):
    currency = serializers.CharField()
    cash = serializers.IntegerField()
    bonus = serializers.IntegerField()
    reserved = serializers.IntegerField(help_text="held for open bets")
    available = serializers.IntegerField()


class HistoryItemOut(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField(help_text="credit, debit, reserve, commit, void, adjustment")
    amount = serializers.IntegerField(help_text="the signed change of the player's cash")
    currency = serializers.CharField()
    product = serializers.CharField()
    created_at = serializers.DateTimeField()
    cash_after = serializers.IntegerField(allow_null=True)
    changes = serializers.DictField(child=serializers.IntegerField())
    operation_amount = serializers.IntegerField()
    reservation_id = serializers.CharField(allow_null=True)


class HistoryOut(serializers.Serializer):
    items = HistoryItemOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="the `before` of the next page")
