"""What a player's money is doing, in the player's words: how much open bets hold, and what
each posting of the history was for.

The wallet depends on no product, so the products tell it (each registers once, from its
``AppConfig.ready``, through ``apps.wallet.api``):

- ``wallet_running_register(product=, reader=)``: what the product took from the player's cash
  for things still running (the sportsbook: the stakes of its accepted open bets, which are
  debited at acceptance, not reserved). "Held for open bets" is the wallet's ``reserved`` balance
  (stakes waiting, such as a live bet's during its in-play delay) plus what every product says
  it holds: a pre-match bet's stake is taken from the cash when the bet is placed, so the
  reserved balance alone reads 0.00 while such a bet is open.
- ``wallet_words_register(product=, describe=)``: a posting of the product's in words, with a
  link to what it was for (a bet's page); the wallet names the rest itself (deposits,
  withdrawals, the operator's adjustments, holds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PostingWords:
    words: str  # "Stake on bet #123", "Adjustment by the operator"
    link: str = ""  # where the player reads about it (a bet's page), "" for none


RunningReader = Callable[..., int]  # (*, brand_id, player_id, currency) -> minor units
Describer = Callable[..., PostingWords | None]  # (*, kind, key, details, product) -> words

_running: dict[str, RunningReader] = {}
_describers: dict[str, Describer] = {}


def wallet_running_register(*, product: str, reader: RunningReader) -> None:
    """Have ``reader`` say what ``product`` holds of a player's cash for things still running."""
    _running[product] = reader


def wallet_words_register(*, product: str, describe: Describer) -> None:
    """Have ``describe`` name ``product``'s postings (None: the wallet's own words)."""
    _describers[product] = describe


def running_total(*, brand_id: int, player_id: int, currency: str) -> int:
    """What every product holds of the player's cash for things still running."""
    return sum(
        reader(brand_id=brand_id, player_id=player_id, currency=currency)
        for reader in _running.values()
    )


def player_held(*, brand_id: int, player_id: int, currency: str, reserved: int) -> int:
    """What open bets hold of the player's money: the ``reserved`` balance (a live bet's stake
    in its delay) plus what the products took for things still running (an accepted bet's
    stake). The figure the player's wallet page and the staff's player page both show."""
    return reserved + running_total(brand_id=brand_id, player_id=player_id, currency=currency)


_OWN = {
    ("credit", "payments"): "Deposit",
    ("debit", "payments"): "Withdrawal",
    ("transfer", ""): "Moved between cash and bonus",
    ("reserve", ""): "Held",
    ("void", ""): "Hold released",
    ("commit", ""): "Held amount taken",
}


def posting_words(*, kind: str, key: str, details: dict[str, Any], product: str) -> PostingWords:
    """What a posting was for, in the player's words."""
    describe = _describers.get(product)
    if describe is not None:
        found = describe(kind=kind, key=key, details=details, product=product)
        if found is not None:
            return found
    if kind == "adjust":
        return PostingWords("Adjustment by the operator")
    words = _OWN.get((kind, product)) or _OWN.get((kind, ""))
    if words:
        return PostingWords(words)
    label = product.capitalize() if product else "Account"
    return PostingWords(f"{label}: {'payment' if kind == 'debit' else 'credit'}")
