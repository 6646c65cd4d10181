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
