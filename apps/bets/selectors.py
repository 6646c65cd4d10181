"""Reading a player's bets (my bets), from the player's shard."""

from __future__ import annotations

from collections import defaultdict

from apps.bets.models import Bet, BetLeg
from shards import map as shard_map

LISTS = {
    "open": ("pending", "open"),
    "settled": ("settled", "refused", "cashed_out"),
}
PAGE = 50


def player_bets(*, player_id: int, which: str, limit: int = PAGE) -> list[tuple[Bet, list[BetLeg]]]:
    """The player's newest bets of a list (open or settled), each with its legs: two queries."""
    using = shard_map.alias_for(player_id)
    bets = list(
        Bet.objects.using(using)
        .filter(player_id=player_id, status__in=LISTS[which])
        .order_by("-placed_at", "-id")[:limit]
    )
    legs: dict[int, list[BetLeg]] = defaultdict(list)
    for leg in (
        BetLeg.objects.using(using).filter(bet_id__in=[b.id for b in bets]).order_by("position")
    ):
        legs[leg.bet_id].append(leg)
    return [(bet, legs[bet.id]) for bet in bets]
