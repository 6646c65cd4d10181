"""What the bets' API takes and answers, described for the API's schema (``/api/schema/``).
Amounts are integers in the brand currency's minor units; odds are decimal strings."""

from rest_framework import serializers

from apps.api.fields import AsciiIntegerField


class LegIn(serializers.Serializer):
    market = AsciiIntegerField(min_value=1, help_text="the market line's id (an event's markets)")
    outcome = serializers.CharField(max_length=60)
    odds = serializers.CharField(max_length=20, help_text="the odds the player saw, e.g. 2.10")


class SlipIn(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=100, help_text="one per slip")
    kind = serializers.ChoiceField(choices=["single", "multiple", "system"])
    system = serializers.CharField(
        max_length=20, required=False, help_text="a system bet's name: doubles, trixie, yankee..."
    )
    stake = AsciiIntegerField(min_value=1, max_value=10**12, help_text="per line, minor units")
    odds_policy = serializers.ChoiceField(choices=["any", "higher", "none"], required=False)
    legs = LegIn(many=True)


class LegOut(serializers.Serializer):
    event = serializers.CharField()
    market = serializers.CharField(help_text="the market line's id")
    market_id = serializers.IntegerField(help_text="the market type's id")
    specifiers = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField()
    odds = serializers.CharField()
    status = serializers.CharField()
    event_name = serializers.CharField(required=False, help_text="as the brand's pages name it")
    market_name = serializers.CharField(required=False)
    outcome_name = serializers.CharField(required=False)
    result_words = serializers.CharField(required=False, help_text="the leg's result in words")
    void_factor = serializers.CharField(required=False, allow_null=True)
    dead_heat_factor = serializers.CharField(required=False, allow_null=True)
    factor = serializers.CharField(
        required=False, allow_null=True, help_text="return per unit staked, once settled"
    )


class BetOut(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    refusal = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    system = serializers.CharField(allow_null=True)
    lines = serializers.IntegerField()
    unit_stake = serializers.IntegerField()
    stake = serializers.IntegerField()
    currency = serializers.CharField()
    potential_payout = serializers.IntegerField()
    payout = serializers.IntegerField()
    live = serializers.BooleanField()
    placed_at = serializers.DateTimeField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)
    cash_out_offer = serializers.IntegerField(allow_null=True)
    legs = LegOut(many=True)
    title = serializers.CharField(
        required=False, help_text="Single, Double, Trixie (3 legs, 4 lines)"
    )
    status_words = serializers.CharField(required=False, help_text="the status in words")


class BetsOut(serializers.Serializer):
    bets = BetOut(many=True)
    page = serializers.IntegerField()
    next_page = serializers.IntegerField(allow_null=True, help_text="null: the last page")


class CashOutOfferOut(serializers.Serializer):
    bet = serializers.CharField()
    offer = serializers.IntegerField(allow_null=True)


class CashOutOut(serializers.Serializer):
    bet = serializers.CharField()
    cash_out = serializers.CharField()
    status = serializers.CharField(help_text="done, or pending (decided after the in-play delay)")
    paid = serializers.IntegerField(required=False)
    unit_stake_after = serializers.IntegerField(required=False)
