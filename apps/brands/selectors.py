"""Reads about brands: by host name (cached per process, briefly) and by id."""

from __future__ import annotations

import time
from dataclasses import dataclass

from apps.brands.models import Brand, Domain

_HOST_TTL_S = 10.0
_HOST_CACHE_MAX = 10_000  # unknown hosts are cached too; a flood of them must not grow memory
_by_host: dict[str, tuple[float, Brand | None]] = {}


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
    now = time.monotonic()
    cached = _by_host.get(host)
    if cached is not None and cached[0] > now:
        return cached[1]
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    brand = domain.tenant if domain is not None and domain.tenant.is_active else None
    if len(_by_host) >= _HOST_CACHE_MAX:
        _by_host.clear()
    _by_host[host] = (now + _HOST_TTL_S, brand)
    return brand


def forget_hosts() -> None:
    """Drop the host cache (after domains change in this process)."""
    _by_host.clear()
