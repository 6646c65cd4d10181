"""Events as lists show them: the sports menu, the home page's highlights and the sports page,
each event with its main market's prices as the brand offers them.

Lists read the catalog's tables in a bounded number of queries whatever their length (events, their
main lines, the lines' names), price them with the brand's compiled offer and leave the moving to
the page's sockets (the live-odds gateway, as on the event page). The sports menu is cached per
brand for ``MENU_CACHE_S`` seconds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from apps.catalog import live, naming
from apps.catalog.models import Event, Market, MarketDescription
from apps.catalog.offering import Offer, offer_for
from betting.ttl_cache import TtlCache

UPCOMING = datetime.timedelta(days=2)
LISTED = 200  # events on the sports page at most
OPEN_STATUSES = (0, 1, 2, 6, 7)  # not started, live, suspended, interrupted, delayed
MENU_CACHE_S = 30.0
# An event's main market: the first of these the event has a line of (1x2 in football, the
# winner in tennis and volleyball-like sports, the winner incl. overtime in basketball, ...).
MAIN_MARKETS = (1, 186, 219, 251, 340, 406)


@dataclass
class Listed:
    """An event in a list, with its main market line (or None) as the brand's players see it."""

    event: Event
    main: dict[str, Any] | None = None
    closed: bool = False

    @property
    def name(self) -> str:
        return f"{self.event.home_name} v {self.event.away_name}"


@dataclass(frozen=True)
class MenuSport:
    id: int
    name: str
    live: int
    count: int


@dataclass
class Group:
    """A sport's events in a list, by competition."""

    sport: str
    sport_id: int
    competitions: dict[str, list[Listed]] = field(default_factory=dict)


_menus: TtlCache[list[MenuSport]] = TtlCache("sports menu", ttl_s=MENU_CACHE_S)
_names: TtlCache[dict[int, MarketDescription]] = TtlCache("main market names", ttl_s=300.0)


def _open_events(now: datetime.datetime):
    return (
        Event.objects.select_related("sport", "tournament")
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(live=True) | Q(start_time__lte=now + UPCOMING))
    )


def _offered(offer: Offer, event: Event) -> bool:
    tournament = event.tournament.urn if event.tournament_id else None
    return offer.event_offered(sport=event.sport.urn, tournament=tournament, event=event.urn)


def sports_menu(brand_id: int) -> list[MenuSport]:
    """The sports with events open for betting on the brand's site, with their counts (live and
    all); one query at most every ``MENU_CACHE_S`` seconds per brand."""
    menu = _menus.get(brand_id)
    if menu is not None:
        return menu
    offer = offer_for(brand_id)
    counts: dict[int, list] = {}
    for event in _open_events(timezone.now()).order_by("sport__position", "sport__name")[:1000]:
        if not _offered(offer, event):
            continue
        entry = counts.setdefault(event.sport_id, [event.sport.name, 0, 0])
        entry[1] += int(event.live)
        entry[2] += 1
    menu = [MenuSport(id=k, name=v[0], live=v[1], count=v[2]) for k, v in counts.items()]
    _menus.put(brand_id, menu)
    return menu


def menu_cached(brand_id: int) -> list[MenuSport]:
    """The menu if the cache holds it, else none: for pages that must not query (the 500 page)."""
    return _menus.get(brand_id) or []


def events_listed(
    brand_id: int,
    *,
    live: bool | None = None,
    sport_id: int | None = None,
    limit: int = LISTED,
) -> list[Listed]:
    """Open events the brand offers (live first, then by start), each with its main line; three
    queries (events, main lines, their names), the names cached."""
    offer = offer_for(brand_id)
    events = _open_events(timezone.now())
    if live is not None:
        events = events.filter(live=live)
    if sport_id is not None:
        events = events.filter(sport_id=sport_id)
    shown = []
    for event in events.order_by("-live", "sport__position", "start_time", "id")[: limit * 2]:
        if _offered(offer, event):
            shown.append(Listed(event=event))
            if len(shown) == limit:
                break
    if shown:
        _main_lines(shown, offer)
    return shown


def _descriptions() -> dict[int, MarketDescription]:
    names = _names.get("main")
    if names is None:
        names = {
            d.market_id: d for d in MarketDescription.objects.filter(market_id__in=MAIN_MARKETS)
        }
        _names.put("main", names)
    return names


def _main_lines(shown: list[Listed], offer: Offer) -> None:
    by_event = {item.event.id: item for item in shown}
    rows = Market.objects.filter(
        event_id__in=by_event, market_id__in=MAIN_MARKETS, specifiers=""
    ).values_list(
        "id", "event_id", "market_id", "status", "producer", "ts", "outcomes", "suspended"
    )
    best: dict[int, tuple] = {}
    for row in rows:
        current = best.get(row[1])
        if current is None or MAIN_MARKETS.index(row[2]) < MAIN_MARKETS.index(current[2]):
            best[row[1]] = row
    if not best:
        return
    descriptions = _descriptions()
    down: dict[str, set[int]] = {}
    for event_id, (pk, _e, market_id, status, producer, ts, outcomes, suspended) in best.items():
        item = by_event[event_id]
        event = item.event
        if event.provider not in down:
            down[event.provider] = live.producers_down(event.provider)
        item.closed = event.suspended or offer.event_suspended(
            sport=event.sport.urn,
            tournament=event.tournament.urn if event.tournament_id else None,
            event=event.urn,
        )
        lines = offer.lines(
            event.urn,
            [[pk, market_id, "", status, producer, ts, outcomes]],
            closed=item.closed,
            producers_down=down[event.provider],
            desk_suspended={pk} if suspended else set(),
        )
        description = descriptions.get(market_id)
        if not lines or description is None:
            continue
        line = lines[0]
        names = dict(home=event.home_name, away=event.away_name)
        item.main = {
            **line,
            "name": naming.render(description.name, "", **names),
            "outcomes": [
                {**o, "name": naming.outcome_name(description.outcomes, o["id"], "", **names)}
                for o in line["outcomes"]
            ],
        }


def grouped(listed: list[Listed]) -> list[Group]:
    """Listed events by sport, then competition, in the order given."""
    groups: dict[int, Group] = {}
    for item in listed:
        event = item.event
        group = groups.setdefault(
            event.sport_id, Group(sport=event.sport.name, sport_id=event.sport_id)
        )
        competition = event.tournament.name if event.tournament_id else ""
        group.competitions.setdefault(competition, []).append(item)
    return list(groups.values())
