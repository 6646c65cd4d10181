"""A bet refused: the one refusal type of placement, the live decision and cash-out, with a
machine-readable code the API and the site answer with, and the details a player needs to act
on it (which selection, its price now, the limit in the currency's major unit)."""

from __future__ import annotations

from typing import Any

from betting import currencies

# The refusals' amounts (minor units) that are a limit the player ran into: the API also gives
# each as ``limit`` in the currency's major unit, as a person reads it ("100.00").
LIMITS = ("max_stake", "min_stake", "max_payout", "left")


class BetRefused(Exception):
    """A slip, a live bet or a cash-out that cannot be accepted; ``code`` says why.

    ``leg`` is the refused leg's position on the slip (0-based) and ``selection`` its market
    line and outcome, when one leg is the reason; ``detail`` holds the rest (the odds now, a
    limit in minor units, ...)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        leg: int | None = None,
        selection: dict[str, Any] | None = None,
        **detail: Any,
    ):
        super().__init__(message)
        self.code = code
        self.leg = leg
        self.selection = selection
        self.detail = detail

    def details(self, *, currency: str | None = None) -> dict[str, Any]:
        """What the API's error carries in ``details``: ``leg`` and ``selection`` (``market``,
        ``outcome``) when a leg is refused, ``odds`` (the price now) for ``odds_changed``, the
        ``detail`` as it is (amounts in minor units), and a limit also as ``limit`` in the
        major unit of ``currency`` with ``currency``."""
        out: dict[str, Any] = {}
        if self.leg is not None:
            out["leg"] = self.leg
        if self.selection is not None:
            out["selection"] = self.selection
        out.update(self.detail)
        if currency and currencies.is_supported(currency):
            for name in LIMITS:
                if isinstance(self.detail.get(name), int):
                    out["limit"] = currencies.money(self.detail[name], currency)
                    out["currency"] = currency
                    break
        return out
