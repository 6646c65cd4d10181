"""Finding bets for staff: a search over every shard, and one bet with its legs, cash-outs and
postings.

Bets live on their players' shards, which are separate databases: a search asks each shard that
may hold a match for at most a page (plus one) of its newest matching bets and merges the
answers, newest first. Bet ids are allocated by ``platform_next_id()``, whose high bits are the
milliseconds of the allocation, so ordering by id orders by placing time across shards too, and
the last id of a page is the cursor of the next (``before``). A search by bet id or player goes
to that one shard only (the shard is in the id). A brand's staff search their brand's bets only
(``brand_id``); the platform's search all brands.

Amounts are typed in major units: a bet's are in its own currency, so a stake or payout bound is
parsed once per currency searched (``currencies.parse_amount``) and compared to bets of that
currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from apps.bets.models import Bet, BetLeg, CashOut, Liability
from apps.catalog import naming
from apps.catalog.models import Event, MarketDescription
from apps.players.models import DirectoryEntry
from apps.wallet import api as wallet
from shards import ids
from shards import map as shard_map

PAGE = 50
STATUSES = [value for value, _ in Bet._meta.get_field("status").choices]


@dataclass(frozen=True)
class BetQuery:
    """What staff search by; every field optional. Amounts in minor units per currency."""

    bet_id: int | None = None
    player_ids: tuple[int, ...] | None = None  # None: any player; (): no player matched
    event_id: int | None = None
    market_id: int | None = None
    status: str = ""
    placed_from: dt.datetime | None = None
    placed_to: dt.datetime | None = None
    settled_from: dt.datetime | None = None
    settled_to: dt.datetime | None = None
    currency: str = ""
    # currency -> minor units, for each currency searched
    stake_min: dict[str, int] = field(default_factory=dict)
    stake_max: dict[str, int] = field(default_factory=dict)
    payout_min: dict[str, int] = field(default_factory=dict)
    payout_max: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BetPage:
    bets: list[Bet]
    next: int | None  # the ``before`` cursor of the next (older) page


def players_named(*, brand_id: int | None, text: str) -> tuple[int, ...]:
    """The player ids ``text`` names: a player id, or a login name (of the brand, or of any
    brand for the platform's staff)."""
    text = text.strip()
    if text.isdigit():
        try:
            return (ids.parse(text),)
        except ids.InvalidId:
            return ()
    entries = DirectoryEntry.objects.filter(login_name=text.lower())
    if brand_id is not None:
        entries = entries.filter(brand_id=brand_id)
    return tuple(entries.values_list("player_id", flat=True))


def _bounds(column: str, low: dict[str, int], high: dict[str, int]) -> Q:
    """Bets of a searched currency within that currency's bounds (one of them, when several)."""
    either = Q()
    for currency in sorted(set(low) | set(high)):
        within = Q(currency=currency)
        if currency in low:
            within &= Q(**{f"{column}__gte": low[currency]})
        if currency in high:
            within &= Q(**{f"{column}__lte": high[currency]})
        either |= within
    return either


def _filters(query: BetQuery, brand_id: int | None) -> Q:
    q = Q()
    if brand_id is not None:
        q &= Q(brand_id=brand_id)
    if query.bet_id is not None:
        q &= Q(pk=query.bet_id)
    if query.player_ids is not None:
        q &= Q(player_id__in=query.player_ids)
    if query.status:
        q &= Q(status=query.status)
    if query.currency:
        q &= Q(currency=query.currency)
    if query.placed_from:
        q &= Q(placed_at__gte=query.placed_from)
    if query.placed_to:
        q &= Q(placed_at__lt=query.placed_to)
    if query.settled_from:
        q &= Q(settled_at__gte=query.settled_from)
    if query.settled_to:
        q &= Q(settled_at__lt=query.settled_to)
    return (
        q
        & _bounds("staked", query.stake_min, query.stake_max)
        & _bounds("payout", query.payout_min, query.payout_max)
    )


def _shards(query: BetQuery) -> list[int]:
    """The shards that may hold a match: the bet's or the players', else every shard."""
    if query.bet_id is not None:
        return [ids.shard_of(query.bet_id)]
    if query.player_ids is not None:
        return sorted({ids.shard_of(player_id) for player_id in query.player_ids})
    return list(range(shard_map.shard_count()))


def bet_search(
    *, brand_id: int | None, query: BetQuery, before: int | None = None, limit: int = PAGE
) -> BetPage:
    """A page of the newest bets matching ``query`` (of ``brand_id``, or of every brand for
    None), older than the bet id ``before``: at most ``limit + 1`` rows from each shard asked."""
    if query.player_ids == ():
        return BetPage(bets=[], next=None)
    q = _filters(query, brand_id)
    if before is not None:
        q &= Q(pk__lt=before)
    legs = Q()
    if query.event_id is not None:
        legs &= Q(event_id=query.event_id)
    if query.market_id is not None:
        legs &= Q(market_id=query.market_id)
    found: list[Bet] = []
    for shard in _shards(query):
        using = shard_map.alias(shard)
        bets = Bet.objects.using(using).filter(q)
        if legs:
            bets = bets.filter(pk__in=BetLeg.objects.using(using).filter(legs).values("bet_id"))
        found.extend(bets.order_by("-pk")[: limit + 1])
    found.sort(key=lambda bet: bet.pk, reverse=True)
    page = found[:limit]
    return BetPage(bets=page, next=page[-1].pk if len(found) > limit else None)


@dataclass(frozen=True)
class LegShown:
    leg: BetLeg
    event: str
    market: str
    outcome: str
    line_liability: int | None  # every shard's liability on the leg's outcome (risk view)


@dataclass(frozen=True)
class BetShown:
    bet: Bet
    legs: list[LegShown]
    cash_outs: list[CashOut]
    postings: list[wallet.HistoryItem]
    liability: int  # what the book still stands to pay beyond the stake: 0 once decided


def legs_named(legs: list[BetLeg]) -> list[tuple[BetLeg, str, str, str]]:
    """Each leg with its event's, market's and outcome's names from the catalog (two queries),
    or ids where the catalog has no name."""
    events = Event.objects.in_bulk({leg.event_id for leg in legs})
    markets = MarketDescription.objects.in_bulk({leg.market_id for leg in legs})
    named = []
    for leg in legs:
        event = events.get(leg.event_id)
        home, away = (event.home_name, event.away_name) if event else ("", "")
        description = markets.get(leg.market_id)
        if description is not None:
            market = naming.render(description.name, leg.specifiers, home=home, away=away)
            outcome = naming.outcome_name(
                description.outcomes, leg.outcome_id, leg.specifiers, home=home, away=away
            )
        else:
            market, outcome = f"market {leg.market_id} {leg.specifiers}".strip(), leg.outcome_id
        named.append((leg, str(event) if event else f"event {leg.event_id}", market, outcome))
    return named


def bet_get(*, brand_id: int | None, bet_id: int) -> BetShown | None:
    """The bet (of ``brand_id``, or of any brand for None) with its legs by name, its
    cash-outs, its ledger postings and its liability; None if there is no such bet."""
    try:
        using = shard_map.alias_for(bet_id)
    except (shard_map.UnknownShard, ValueError):
        return None
    bets = Bet.objects.using(using).filter(pk=bet_id)
    if brand_id is not None:
        bets = bets.filter(brand_id=brand_id)
    bet = bets.first()
    if bet is None:
        return None
    legs = list(BetLeg.objects.using(using).filter(bet_id=bet.pk).order_by("position"))
    lines = {
        (row.market, row.outcome_id): row.liability
        for row in Liability.objects.filter(
            market__in={leg.market for leg in legs}, outcome_id__in={leg.outcome_id for leg in legs}
        )
    }
    cash_outs = list(CashOut.objects.using(using).filter(bet_id=bet.pk).order_by("created_at"))
    postings = wallet.player_operations_for(
        brand_id=bet.brand_id, player_id=bet.player_id, details={"bet": str(bet.pk)}
    )
    open_ = bet.status in ("pending", "open")
    return BetShown(
        bet=bet,
        legs=[
            LegShown(
                leg=leg,
                event=event,
                market=market,
                outcome=outcome,
                line_liability=lines.get((leg.market, leg.outcome_id)),
            )
            for leg, event, market, outcome in legs_named(legs)
        ],
        cash_outs=cash_outs,
        postings=postings,
        liability=max(bet.potential_payout - bet.stake, 0) if open_ else 0,
    )
