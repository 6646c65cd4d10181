"""What a brand configures about its site (in the brand's own schema)."""

from django.core.validators import RegexValidator
from django.db import models

from shards.models import BrandModel

# The colour goes inside the page's <style>: only a hex colour, nothing CSS or HTML could read as
# more (the form refuses the rest, and a CHECK constraint refuses what skips the form).
HEX_COLOUR_RE = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})\Z"
DEFAULT_COLOUR = "#0b6e4f"
# The logo is stored as a data: URI of a small image (the site's CSP allows images from the site
# itself and data: URIs, no other host): only these image types, only base64 characters.
LOGO_RE = r"^(data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2})?\Z"
LOGO_MAX_BYTES = 48 * 1024


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
    logo = models.TextField(
        blank=True,
        default="",
        validators=[RegexValidator(LOGO_RE, "a PNG, JPEG, GIF or WebP image as a data: URI")],
        help_text="shown in the header of every page (uploaded in the brand admin)",
    )

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(primary_colour__regex=HEX_COLOUR_RE),
                name="site_settings_primary_colour_hex",
            ),
            models.CheckConstraint(
                condition=models.Q(logo__regex=LOGO_RE),
                name="site_settings_logo_data_uri",
            ),
        ]

    def __str__(self) -> str:
        return self.title or "site settings"
