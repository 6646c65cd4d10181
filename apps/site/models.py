"""What a brand configures about its site (in the brand's own schema)."""

from django.core.validators import RegexValidator
from django.db import models

from shards.models import BrandModel

# The colour goes inside the page's <style>: only a hex colour, nothing CSS or HTML could read as
# more (the form refuses the rest, and a CHECK constraint refuses what skips the form).
HEX_COLOUR_RE = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})\Z"
DEFAULT_COLOUR = "#0b6e4f"


class SiteSettings(BrandModel):
    """The brand site's look: one row per brand schema."""

    title = models.CharField(max_length=100, blank=True)
    tagline = models.CharField(max_length=200, blank=True)
    primary_colour = models.CharField(
        max_length=7,
        default=DEFAULT_COLOUR,
        validators=[RegexValidator(HEX_COLOUR_RE, "a hex colour: #rgb or #rrggbb")],
        help_text="#rgb or #rrggbb",
    )

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(primary_colour__regex=HEX_COLOUR_RE),
                name="site_settings_primary_colour_hex",
            )
        ]

    def __str__(self) -> str:
        return self.title or "site settings"
