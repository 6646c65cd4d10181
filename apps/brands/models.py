"""Brands (django-tenants tenants, one schema each) and the domains that reach them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from betting import currencies
from shards.homes import Home

SLUG_RE = r"^[a-z][a-z0-9-]{1,39}$"
WALLET_KEY_ID_RE = r"^[A-Za-z0-9._-]{1,40}$"
WALLET_SECRET_MIN = 32  # characters: 128 bits and more of a random secret


def wallet_settings_errors(*, mode: str, url: str, key_id: str, secret: str) -> dict[str, str]:
    """What is wrong with a brand's external wallet settings, by field (empty: nothing).

    The operator's wallet is reached over HTTPS only (plain HTTP in development, ``DEBUG``), at a
    URL without credentials, query or fragment; its calls are signed with a secret of
    ``WALLET_SECRET_MIN`` characters or more, known to both sides by a key id."""
    if not url:
        return {}
    errors: dict[str, str] = {}
    if mode == Brand.Mode.B2C:
        errors["mode"] = "an external wallet needs mode b2b or embedded"
    parts = urlsplit(url)
    schemes = {"https", "http"} if settings.DEBUG else {"https"}
    if parts.scheme not in schemes:
        errors["wallet_url"] = "the wallet URL must be https://host[/path]" + (
            "" if settings.DEBUG else " (plain http only in development)"
        )
    elif not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        errors["wallet_url"] = "the wallet URL must be a host and a path, no credentials or query"
    if not re.match(WALLET_KEY_ID_RE, key_id or ""):
        errors["wallet_key_id"] = "the key id must be 1-40 letters, digits, dots, dashes or _"
    if len(secret) < WALLET_SECRET_MIN:
        errors["wallet_secret"] = f"the wallet secret must have {WALLET_SECRET_MIN}+ characters"
    return errors


# An origin that may frame a brand's pages: https, a host name, an optional port; nothing else
# (no path, no wildcard, no quote, space or semicolon that could add to the policy it goes into).
FRAME_ORIGIN_RE = (
    r"^https://[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::[0-9]{1,5})?\Z"
)


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


# A brand's currency is fixed once money is kept in it. The apps that hold such facts (above this
# one) add a check here when they load: ``check(brand_id)`` is true while the currency is in use.
currency_in_use_checks: list[Callable[[int], bool]] = []


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
    wallet_key_id = models.CharField(
        max_length=40,
        blank=True,
        default="1",
        help_text="the id both sides know the wallet secret by (a new one at each rotation)",
    )
    # Who may show the brand's site in a frame (CSP frame-ancestors, beside the brand itself):
    # the operator's page in embedded mode. Empty: only the brand's own pages.
    frame_ancestors = ArrayField(
        models.CharField(
            max_length=200,
            validators=[
                RegexValidator(FRAME_ORIGIN_RE, "an origin: https://host or https://host:port")
            ],
        ),
        blank=True,
        default=list,
        help_text="origins allowed to frame the site, comma-separated (https://operator.example)",
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
        errors: dict[str, list[ValidationError]] = {}
        if (
            self.session_idle_minutes is not None
            and self.session_absolute_minutes is not None
            and self.session_idle_minutes > self.session_absolute_minutes
        ):
            errors["session_idle_minutes"] = [
                ValidationError("cannot be longer than the session itself")
            ]
        wallet = wallet_settings_errors(
            mode=self.mode,
            url=self.wallet_url,
            key_id=self.wallet_key_id,
            secret=self.wallet_secret,
        )
        if wallet:
            # Not keyed by field: a form may leave the secret out (the backoffice's does), and a
            # form cannot show an error on a field it does not have.
            errors[NON_FIELD_ERRORS] = [
                ValidationError(message, code="invalid_wallet") for message in wallet.values()
            ]
        if self.pk is not None:
            stored = Brand.objects.filter(pk=self.pk).values_list("currency", flat=True).first()
            if stored is not None and stored != self.currency and self.currency_locked():
                errors["currency"] = [
                    ValidationError(
                        f"the brand has players: its currency stays {stored}",
                        code="currency_locked",
                    )
                ]
        if errors:
            raise ValidationError(errors)

    @property
    def is_platform(self) -> bool:
        return self.schema_name == "public"

    def currency_locked(self) -> bool:
        """True once the brand has players: their wallets are in its currency."""
        return self.pk is not None and any(check(self.pk) for check in currency_in_use_checks)


class Domain(DomainMixin):
    """A host name that reaches a brand (``demo.localhost``, ``www.brand.example``)."""

    data_home: ClassVar[Home] = Home.GLOBAL

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
