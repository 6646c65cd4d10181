"""Global aggregates per brand, fed from the shards through the outbox."""

from django.db import models

from shards.models import GlobalModel


class BrandStats(GlobalModel):
    brand = models.OneToOneField("brands.Brand", on_delete=models.CASCADE, related_name="stats")
    player_count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "brand statistics"
        verbose_name_plural = "brand statistics"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(player_count__gte=0), name="brandstats_player_count_gte_0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand}: {self.player_count} players"


PRODUCTS = [("sportsbook", "sportsbook"), ("casino", "casino")]


class BrandDay(GlobalModel):
    """A brand's figures of one UTC day and product, summed from every shard's
    ``brand.turnover`` events (folded once each): stakes and bets accepted, payouts (settlements
    and cash-outs), and the change of the open bets' potential payouts that day (their sum over
    every day is the liability open now). GGR is stakes less payouts."""

    brand = models.ForeignKey("brands.Brand", on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    product = models.CharField(max_length=20, choices=PRODUCTS, default="sportsbook")
    stakes = models.BigIntegerField(default=0, help_text="minor units")
    bets = models.BigIntegerField(default=0)
    payouts = models.BigIntegerField(default=0, help_text="minor units")
    liability_change = models.BigIntegerField(
        default=0, help_text="open liability's change that day, minor units"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "brand day"
        constraints = [
            models.UniqueConstraint(fields=["brand", "day", "product"], name="brand_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.day} {self.product}"
