"""Reading a player's bets (my bets), from the player's shard.

Every read filters by the player, so an id of another player's bet finds nothing. Lists are
newest first and paged by number (``page`` 1, 2, ...), a page and one more bet read to know
whether an older page exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum

from apps.api.body import BIGINT_MAX
from apps.bets.models import Bet, BetLeg, CashOut
from shards import map as shard_map

LISTS = {
    "open": ("pending", "open"),
    "settled": ("settled", "refused", "cashed_out"),
}
PAGE = 50
PER_PAGE = 20
MAX_PAGES = 1_000  # a page further is refused: no player reads 20,000 bets back


@dataclass(frozen=True)
class BetsPage:
    bets: list[tuple[Bet, list[BetLeg]]]
    page: int
    has_more: bool


def _with_legs(using: str, bets: list[Bet]) -> list[tuple[Bet, list[BetLeg]]]:
    legs: dict[int, list[BetLeg]] = defaultdict(list)
    if bets:
        for leg in (
            BetLeg.objects.using(using)
            .filter(bet_id__in=[b.id for b in bets])
            .order_by("bet_id", "position")
        ):
            legs[leg.bet_id].append(leg)
    return [(bet, legs[bet.id]) for bet in bets]


def player_bets(
    *, player_id: int, which: str, limit: int = PAGE, offset: int = 0
) -> list[tuple[Bet, list[BetLeg]]]:
    """The player's newest bets of a list (open or settled), each with its legs: two queries
    (one when there is no bet)."""
    using = shard_map.alias_for(player_id)
    bets = list(
        Bet.objects.using(using)
        .filter(player_id=player_id, status__in=LISTS[which])
        .order_by("-placed_at", "-id")[offset : offset + limit]
    )
    return _with_legs(using, bets)


def player_bets_page(
    *, player_id: int, which: str, page: int, per_page: int = PER_PAGE
) -> BetsPage:
    """One page of a list of the player's bets (``page`` from 1): two queries."""
    if not 1 <= page <= MAX_PAGES:
        raise ValueError(f"page must be between 1 and {MAX_PAGES}")
    found = player_bets(
        player_id=player_id, which=which, limit=per_page + 1, offset=(page - 1) * per_page
    )
    return BetsPage(bets=found[:per_page], page=page, has_more=len(found) > per_page)


def player_bet(*, player_id: int, bet_id: int) -> tuple[Bet, list[BetLeg]] | None:
    """One of the player's bets with its legs (None: no such bet of theirs): two queries."""
    if not 0 < bet_id <= BIGINT_MAX:  # a URL's number beyond any id (the column is a bigint)
        return None
    using = shard_map.alias_for(player_id)
    bet = Bet.objects.using(using).filter(pk=bet_id, player_id=player_id).first()
    if bet is None:
        return None
    return _with_legs(using, [bet])[0]


def bets_cash_outs(*, player_id: int, bet_ids: list[int]) -> dict[int, list[CashOut]]:
    """The cash-outs asked of these bets of the player, oldest first: one query (none without
    bets)."""
    out: dict[int, list[CashOut]] = defaultdict(list)
    if bet_ids:
        for record in (
            CashOut.objects.using(shard_map.alias_for(player_id))
            .filter(player_id=player_id, bet_id__in=bet_ids)
            .order_by("id")
        ):
            out[record.bet_id].append(record)
    return out


def open_stakes(*, brand_id: int, player_id: int, currency: str) -> int:
    """What the player's accepted open bets hold: their stakes, taken from the cash when each
    bet was accepted (a live bet's stake waits in the wallet's reserved account until then, so
    pending bets are not counted here). One query."""
    total = (
        Bet.objects.using(shard_map.alias_for(player_id))
        .filter(player_id=player_id, brand_id=brand_id, currency=currency, status="open")
        .aggregate(total=Sum("stake"))["total"]
    )
    return int(total or 0)
