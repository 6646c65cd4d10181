"""Each brand's wallet: its currency and, in external wallet mode, its operator's wallet.

Read from the brand's record and kept per process for ``BRAND_TTL_S``; the postings
(``apps.wallet.postings``) and the operator-wallet calls (``apps.wallet.external``) both look
brands up here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from apps.brands.models import Brand
from apps.wallet.errors import InvalidRequest, UnknownPlayer

BRAND_TTL_S = 60.0


@dataclass(frozen=True)
class OperatorWallet:
    url: str
    secret: str


@dataclass(frozen=True)
class BrandWallet:
    currency: str
    operator: OperatorWallet | None  # set in external wallet mode


_brands: dict[int, tuple[float, BrandWallet | None]] = {}


def brand_wallet(brand_id: int) -> BrandWallet:
    """The brand's wallet configuration, or UnknownPlayer for a brand that does not exist."""
    now = time.monotonic()
    cached = _brands.get(brand_id)
    if cached is None or cached[0] < now:
        brand = Brand.objects.filter(pk=brand_id).exclude(schema_name="public").first()
        config = None
        if brand is not None:
            external = brand.mode != Brand.Mode.B2C and bool(brand.wallet_url)
            operator = OperatorWallet(brand.wallet_url, brand.wallet_secret) if external else None
            config = BrandWallet(brand.currency, operator)
        cached = (now + BRAND_TTL_S, config)
        _brands[brand_id] = cached
    if cached[1] is None:
        raise UnknownPlayer(f"no brand {brand_id}")
    return cached[1]


def forget_brands() -> None:
    _brands.clear()


def operator_wallet(brand_id: int) -> OperatorWallet:
    """The operator's wallet of a brand in external wallet mode."""
    operator = brand_wallet(brand_id).operator
    if operator is None:
        raise InvalidRequest(f"brand {brand_id} has no external wallet")
    return operator


def wallet_is_external(brand_id: int) -> bool:
    """Whether the brand's players' money is at the operator (external wallet mode)."""
    return brand_wallet(brand_id).operator is not None
