"""Creating brands: validate everything first, then create the brand, its schema and its domains
in one transaction of the global database, so a failure leaves nothing behind."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import pre_migrate
from django_tenants.utils import schema_context, schema_exists

from apps.brands.models import SLUG_RE, Brand, Domain, schema_for
from apps.brands.selectors import forget_hosts
from betting import currencies

_HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class BrandError(ValueError):
    """A brand cannot be created as asked. ``code`` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _clean_domain(domain: str) -> str:
    host = domain.strip().lower().rstrip(".")
    if not _HOSTNAME_RE.match(host):
        raise BrandError("invalid_domain", f"{domain!r} is not a valid host name")
    return host


def _validate(brand: Brand) -> None:
    """The model's own rules (fields and ``Brand.clean``: the wallet settings), as a BrandError."""
    try:
        brand.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors = exc.error_dict.get(NON_FIELD_ERRORS, []) or [
            error for errors in exc.error_dict.values() for error in errors
        ]
        first = errors[0] if errors else exc
        code = first.code if first.code == "invalid_wallet" else "invalid_brand"
        raise BrandError(code, " ".join(first.messages)) from None


def brand_create(
    *,
    slug: str,
    name: str,
    domains: list[str],
    currency: str,
    mode: str = Brand.Mode.B2C,
    wallet_url: str = "",
    wallet_secret: str = "",
    wallet_key_id: str = "1",
    progress: Callable[[str], None] | None = None,
) -> Brand:
    """Create the brand; ``progress``, if given, is told each step as it begins: ``schema``
    (the brand's row and schema), ``migrations`` (its tables), ``domain``."""
    step = progress or (lambda _step: None)
    slug = slug.strip()
    if not re.match(SLUG_RE, slug):
        raise BrandError(
            "invalid_slug",
            f"slug {slug!r} must be 2-40 lower-case letters, digits or hyphens, "
            "starting with a letter",
        )
    name = name.strip()
    if not name or len(name) > 100:
        raise BrandError("invalid_name", "name must be 1-100 characters")
    currency = currency.strip().upper()
    if not currencies.is_supported(currency):
        raise BrandError(
            "unknown_currency", f"currency {currency!r} is not a supported ISO 4217 code"
        )
    if mode not in Brand.Mode.values:
        raise BrandError("invalid_mode", f"mode must be one of {', '.join(Brand.Mode.values)}")
    if not domains:
        raise BrandError("invalid_domain", "a brand needs at least one domain")
    hosts = [_clean_domain(d) for d in domains]
    if len(set(hosts)) != len(hosts):
        raise BrandError("duplicate_domain", "the same domain is given twice")
    if settings.PLATFORM_DOMAIN in hosts:
        raise BrandError(
            "duplicate_domain", f"{settings.PLATFORM_DOMAIN} is the platform's own domain"
        )

    schema = schema_for(slug)
    with schema_context("public"):
        if Brand.objects.filter(slug=slug).exists():
            raise BrandError("duplicate_slug", f"a brand with slug {slug!r} already exists")
        taken = list(Domain.objects.filter(domain__in=hosts).values_list("domain", flat=True))
        if taken:
            raise BrandError("duplicate_domain", f"domain {taken[0]} already belongs to a brand")
        if schema_exists(schema):
            raise BrandError("duplicate_slug", f"schema {schema} already exists")
        brand = Brand(
            schema_name=schema,
            slug=slug,
            name=name,
            currency=currency,
            mode=mode,
            wallet_url=wallet_url,
            wallet_secret=wallet_secret,
            wallet_key_id=wallet_key_id,
        )
        _validate(brand)
        migrating: list[bool] = []

        def _migrations_begin(**_kwargs) -> None:
            if not migrating:
                migrating.append(True)
                step("migrations")

        try:
            with transaction.atomic(using="default"):
                step("schema")
                pre_migrate.connect(_migrations_begin, dispatch_uid=f"brand_create:{schema}")
                try:
                    brand.save(verbosity=0)
                finally:
                    pre_migrate.disconnect(dispatch_uid=f"brand_create:{schema}")
                step("domain")
                for index, host in enumerate(hosts):
                    Domain.objects.create(domain=host, tenant=brand, is_primary=index == 0)
        except IntegrityError as exc:
            raise BrandError("duplicate", f"brand or domain already exists ({exc})") from exc
    forget_hosts()
    return brand


def platform_ensure() -> Brand:
    """The public tenant (the global backoffice at PLATFORM_DOMAIN); created once."""
    with schema_context("public"), transaction.atomic(using="default"):
        platform = Brand.objects.filter(schema_name="public").first()
        if platform is None:
            platform = Brand(schema_name="public", slug="platform", name="Platform", currency="EUR")
            platform.save(verbosity=0)
        Domain.objects.get_or_create(
            domain=settings.PLATFORM_DOMAIN, defaults={"tenant": platform, "is_primary": True}
        )
    forget_hosts()
    return platform
