"""Brands (django-tenants tenants, one schema each) and the domains that reach them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from betting import currencies
from shards.homes import Home

SLUG_RE = r"^[a-z][a-z0-9-]{1,39}$"


def validate_session_absolute(minutes: int) -> None:
    """Inside the regulator's bounds for the whole platform (settings)."""
    low, high = settings.PLAYER_SESSION_MIN_MINUTES, settings.PLAYER_SESSION_ABSOLUTE_MAX_MINUTES
    if not low <= minutes <= high:
        raise ValidationError(f"between {low} and {high} minutes", code="out_of_bounds")


def validate_session_idle(minutes: int) -> None:
    low, high = settings.PLAYER_SESSION_MIN_MINUTES, settings.PLAYER_SESSION_IDLE_MAX_MINUTES
    if not low <= minutes <= high:
        raise ValidationError(f"between {low} and {high} minutes", code="out_of_bounds")


def schema_for(slug: str) -> str:
    return "brand_" + slug.replace("-", "_")


class Brand(TenantMixin):
    """One brand (site) of the installation. The public schema is the platform itself."""

    class Mode(models.TextChoices):
        B2C = "b2c", "B2C: the platform runs the site and the wallet"
        B2B = "b2b", "B2B: the operator's external wallet approves money movements"
        EMBEDDED = "embedded", "Embedded: the site runs inside the operator's page"

    data_home: ClassVar[Home] = Home.GLOBAL

    slug = models.SlugField(
        max_length=40,
        unique=True,
        validators=[RegexValidator(SLUG_RE, "lower-case letters, digits and hyphens")],
    )
    name = models.CharField(max_length=100)
    currency = models.CharField(
        max_length=3,
        choices=sorted((code, code) for code in currencies.MINOR_UNITS),
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.B2C)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # External (seamless) wallet: the operator's wallet approves every money movement.
    wallet_url = models.URLField(
        blank=True, help_text="the operator's wallet API (external wallet mode); empty: internal"
    )
    wallet_secret = models.CharField(
        max_length=200, blank=True, help_text="shared secret for the HMAC-SHA256 signatures"
    )

    # How long a player's session may last, within the platform's bounds (docs/operations.md).
    session_absolute_minutes = models.PositiveIntegerField(
        default=12 * 60,
        validators=[validate_session_absolute],
        help_text="a player's session ends this long after the login, active or not",
    )
    session_idle_minutes = models.PositiveIntegerField(
        default=30,
        validators=[validate_session_idle],
        help_text="a player's session ends after this long without a request",
    )

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.session_idle_minutes is not None
            and self.session_absolute_minutes is not None
            and self.session_idle_minutes > self.session_absolute_minutes
        ):
            raise ValidationError(
                {"session_idle_minutes": "cannot be longer than the session itself"}
            )

    @property
    def is_platform(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    """A host name that reaches a brand (``demo.localhost``, ``www.brand.example``)."""

    data_home: ClassVar[Home] = Home.GLOBAL

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
