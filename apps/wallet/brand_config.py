"""Each brand's wallet: its currency and, in external wallet mode, its operator's wallet.

Read from the brand's record and kept per process for ``BRAND_TTL_S``; the postings
(``apps.wallet.postings``) and the operator-wallet calls (``apps.wallet.external``) both look
brands up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.brands.models import Brand
from apps.wallet.errors import InvalidRequest, UnknownPlayer
from apps.wallet.operator_protocol import SigningKey
from betting.ttl_cache import MISSING, TtlCache

BRAND_TTL_S = 60.0


@dataclass(frozen=True)
class OperatorWallet:
    url: str
    key: SigningKey  # its secret stays out of repr()


@dataclass(frozen=True)
class BrandWallet:
    currency: str
    operator: OperatorWallet | None  # set in external wallet mode


_brands: TtlCache[BrandWallet | None] = TtlCache("brand wallets", ttl_s=BRAND_TTL_S)


def brand_wallet(brand_id: int) -> BrandWallet:
    """The brand's wallet configuration, or UnknownPlayer for a brand that does not exist."""
    config = _brands.get(brand_id, MISSING)
    if config is MISSING:
        brand = Brand.objects.filter(pk=brand_id).exclude(schema_name="public").first()
        config = None
        if brand is not None:
            external = brand.mode != Brand.Mode.B2C and bool(brand.wallet_url)
            operator = (
                OperatorWallet(
                    brand.wallet_url, SigningKey(brand.wallet_key_id, brand.wallet_secret)
                )
                if external
                else None
            )
            config = BrandWallet(brand.currency, operator)
        _brands.put(brand_id, config)
    if config is None:
        raise UnknownPlayer(f"no brand {brand_id}")
    return config


def operator_wallet(brand_id: int) -> OperatorWallet:
    """The operator's wallet of a brand in external wallet mode."""
    operator = brand_wallet(brand_id).operator
    if operator is None:
        raise InvalidRequest(f"brand {brand_id} has no external wallet")
    return operator


def wallet_is_external(brand_id: int) -> bool:
    """Whether the brand's players' money is at the operator (external wallet mode)."""
    return brand_wallet(brand_id).operator is not None
