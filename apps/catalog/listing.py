"""The catalog as a brand's public API lists it: sports, competitions, events and an event's
markets, with the brand's offer applied in the query (what the brand hides is never listed, so
pages are full) and its prices (margin, overrides) and suspensions as its site shows them.

Every list is one query (with its sport and competition joined) and bounded (``MAX_PAGE`` rows,
offsets up to ``MAX_OFFSET``); an event with its markets is two queries (the event, the markets'
names) and one Redis read (``snapshot.view``), plus the brand's offer when the process has no
fresh one (``offering.offer_for``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.catalog import live, naming, snapshot
from apps.catalog.models import (
    CANCELLED,
    EVENT_STATUS,
    MARKET_STATUS,
    SETTLED,
    Event,
    MarketDescription,
    Sport,
    Tournament,
)
from apps.catalog.offering import Offer, offer_for

DEFAULT_PAGE = 50
MAX_PAGE = 100
MAX_OFFSET = 10_000
# Events still to be played or being played (not ended, closed, cancelled, postponed, abandoned).
OPEN_STATUSES = (0, 1, 2, 6, 7)
EVENT_STATUS_NAMES = dict(EVENT_STATUS)
MARKET_STATUS_NAMES = dict(MARKET_STATUS)
# The names the API shows (the schema's EventStatus and MarketStatus enums).
EVENT_STATUS_CHOICES = [name for _, name in EVENT_STATUS]
MARKET_STATUS_CHOICES = [name for _, name in MARKET_STATUS]


def _hidden(offer: Offer, level: str) -> list[str]:
    return [target for kind, target, *rest in offer.hidden if kind == level and not rest]


def sports(brand_id: int) -> list[Sport]:
    """The sports the brand offers, in the catalog's order."""
    offer = offer_for(brand_id)
    return list(Sport.objects.exclude(urn__in=_hidden(offer, "sport")))


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_offset: int | None


def _page(query: QuerySet, *, limit: int, offset: int) -> Page:
    rows = list(query[offset : offset + limit + 1])
    more = len(rows) > limit and offset + limit <= MAX_OFFSET
    return Page(rows[:limit], offset + limit if more else None)


def competitions(
    brand_id: int, *, sport_id: int | None = None, limit: int = DEFAULT_PAGE, offset: int = 0
) -> Page:
    """The competitions (tournaments) the brand offers, by sport and name."""
    offer = offer_for(brand_id)
    query = (
        Tournament.objects.select_related("sport", "category")
        .exclude(sport__urn__in=_hidden(offer, "sport"))
        .exclude(urn__in=_hidden(offer, "tournament"))
        .order_by("sport__position", "sport__name", "name", "id")
    )
    if sport_id is not None:
        query = query.filter(sport_id=sport_id)
    return _page(query, limit=limit, offset=offset)


@dataclass(frozen=True)
class EventFilter:
    sport_id: int | None = None
    competition_id: int | None = None
    live: bool | None = None
    upcoming: bool | None = None  # not started yet (True), or started (False)
    starts_after: datetime.datetime | None = None
    starts_before: datetime.datetime | None = None


def _offered_events(offer: Offer) -> QuerySet:
    return (
        Event.objects.select_related("sport", "tournament")
        .exclude(sport__urn__in=_hidden(offer, "sport"))
        .exclude(Q(tournament__urn__in=_hidden(offer, "tournament")))
        .exclude(urn__in=_hidden(offer, "event"))
    )


def events(
    brand_id: int, where: EventFilter, *, limit: int = DEFAULT_PAGE, offset: int = 0
) -> Page:
    """The open events the brand offers, by start time, filtered by ``where``."""
    query = _offered_events(offer_for(brand_id)).filter(status__in=OPEN_STATUSES)
    if where.sport_id is not None:
        query = query.filter(sport_id=where.sport_id)
    if where.competition_id is not None:
        query = query.filter(tournament_id=where.competition_id)
    if where.live is not None:
        query = query.filter(live=where.live)
    if where.upcoming is not None:
        started = Q(status__gt=0) | Q(live=True) | Q(start_time__lte=timezone.now())
        query = query.exclude(started) if where.upcoming else query.filter(started)
    if where.starts_after is not None:
        query = query.filter(start_time__gte=where.starts_after)
    if where.starts_before is not None:
        query = query.filter(start_time__lt=where.starts_before)
    query = query.order_by("start_time", "id")
    return _page(query, limit=limit, offset=offset)


def offered_event(brand_id: int, event_id: int) -> Event | None:
    """The event if the brand offers it (whatever its status), else None."""
    if not 0 < event_id < 2**63:
        return None
    return _offered_events(offer_for(brand_id)).filter(pk=event_id).first()


def event_markets(brand_id: int, event: Event) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the event's current status, its offered market lines with names and the brand's
    prices) as the brand's event page shows them; settled and cancelled lines are left out."""
    offer = offer_for(brand_id)
    view = snapshot.view(event, offer, producers_down=live.producers_down(event.provider))
    lines = [line for line in view["markets"] if line["status"] not in (SETTLED, CANCELLED)]
    descriptions = {
        d.market_id: d
        for d in MarketDescription.objects.filter(market_id__in={m["market"] for m in lines})
    }
    names = {"home": event.home_name, "away": event.away_name}
    markets = []
    for line in lines:
        description = descriptions.get(line["market"])
        if description is None:
            continue  # a market the platform cannot name is not shown (as on the site)
        markets.append(
            {
                **line,
                "name": naming.render(description.name, line["specifiers"], **names),
                "outcomes": [
                    {
                        **outcome,
                        "name": naming.outcome_name(
                            description.outcomes, outcome["id"], line["specifiers"], **names
                        ),
                    }
                    for outcome in line["outcomes"]
                ],
            }
        )
    return {**view["status"], "closed": view["closed"]}, markets
