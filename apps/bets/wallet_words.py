"""The sportsbook's postings in the player's words, and what its open bets hold: registered
with the wallet (``BetsConfig.ready``), which names its own postings and depends on no product.

The keys are the ones the sportsbook writes: ``bet:<id>:stake`` (a stake debited, or a live
bet's reserved stake taken), ``bet:<id>:hold`` (a live bet's stake reserved during its delay),
``bet:<id>:release`` (a refused live bet's stake returned), ``bet:<id>:pay:<n>`` (a payout),
``bet:<id>:unpay:<n>`` (a payout taken back when a result is corrected) and
``bet:<id>:cashout:<n>`` (a cash-out paid).
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from apps.bets import selectors
from apps.wallet import api as wallet

_KEY = re.compile(r"bet:([0-9]{1,19}):(stake|hold|release|pay|unpay|cashout)(?::[0-9]+)?")

_WORDS = {
    "stake": "Stake on bet #{bet}",
    "hold": "Stake held for live bet #{bet} during its in-play delay",
    "release": "Refund: stake of refused live bet #{bet} returned",
    "pay": "Winnings of bet #{bet}",
    "unpay": "Winnings of bet #{bet} taken back: its result was corrected",
    "cashout": "Cash-out of bet #{bet}",
}


def posting_words(
    *, kind: str, key: str, details: dict[str, Any], product: str
) -> wallet.PostingWords | None:
    """A sportsbook posting in words with a link to its bet; None for a key not the
    sportsbook's own."""
    match = _KEY.fullmatch(key or "")
    if match is None:
        return None
    bet, what = match.groups()
    return wallet.PostingWords(
        _WORDS[what].format(bet=bet), reverse("bets:bet", kwargs={"bet_id": int(bet)})
    )


def register() -> None:
    wallet.wallet_words_register(product="sportsbook", describe=posting_words)
    wallet.wallet_running_register(product="sportsbook", reader=selectors.open_stakes)
