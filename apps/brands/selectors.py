"""Reads about brands: by host name (cached per process, briefly) and by id."""

from __future__ import annotations

from dataclasses import dataclass

from apps.brands.models import Brand, Domain
from betting.ttl_cache import MISSING, TtlCache

# Unknown hosts are cached too; a flood of them must not grow memory.
_by_host: TtlCache[Brand | None] = TtlCache("brands by host", ttl_s=10.0, max_entries=10_000)


@dataclass(frozen=True)
class BrandRef:
    """What other parts of the platform need to know of a brand."""

    id: int
    slug: str
    schema_name: str
    currency: str
    mode: str

    @classmethod
    def of(cls, brand: Brand) -> BrandRef:
        return cls(brand.pk, brand.slug, brand.schema_name, brand.currency, brand.mode)


def brand_for_host(host: str) -> Brand | None:
    """The brand (or the platform's public tenant) a host name reaches, or None."""
    host = host.lower().split(":")[0]
    brand = _by_host.get(host, MISSING)
    if brand is MISSING:
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        brand = domain.tenant if domain is not None and domain.tenant.is_active else None
        _by_host.put(host, brand)
    return brand


def forget_hosts() -> None:
    """Drop the host cache (after domains change in this process)."""
    _by_host.clear()
