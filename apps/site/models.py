"""What a brand configures about its site (in the brand's own schema)."""

from django.db import models

from shards.models import BrandModel


class SiteSettings(BrandModel):
    """The brand site's look: one row per brand schema."""

    title = models.CharField(max_length=100, blank=True)
    tagline = models.CharField(max_length=200, blank=True)
    primary_colour = models.CharField(max_length=7, default="#0b6e4f")

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return self.title or "site settings"
