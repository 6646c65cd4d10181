"""The names players read for a selection they bet on: its event, market and outcome, as the
brand's event pages name them (``naming`` over the market descriptions' templates).

A bet's legs keep ids only (event id, market id and specifiers, outcome id); the names come from
the global catalog, read in two queries whatever the number of legs: the events, then the
market descriptions. A selection whose event or market left the catalog is named by its ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from apps.catalog import naming
from apps.catalog.models import Event, MarketDescription


@dataclass(frozen=True)
class Selection:
    """A selection as a bet's leg keeps it."""

    event_id: int
    market_id: int
    specifiers: str
    outcome_id: str


@dataclass(frozen=True)
class SelectionName:
    event: str
    market: str
    outcome: str
    sport: str = ""
    start_time: dt.datetime | None = None


def selection_names(selections: Iterable[Selection]) -> dict[Selection, SelectionName]:
    """Each selection's names: two queries (events, market descriptions), none when empty."""
    wanted = set(selections)
    if not wanted:
        return {}
    events = {
        e.id: e
        for e in Event.objects.select_related("sport").filter(id__in={s.event_id for s in wanted})
    }
    descriptions = {
        d.market_id: d
        for d in MarketDescription.objects.filter(market_id__in={s.market_id for s in wanted})
    }
    out = {}
    for s in wanted:
        event, description = events.get(s.event_id), descriptions.get(s.market_id)
        names = (
            {"home": event.home_name, "away": event.away_name}
            if event
            else {"home": "home", "away": "away"}
        )
        if description is not None:
            market = naming.render(description.name, s.specifiers, **names)
            outcome = naming.outcome_name(description.outcomes, s.outcome_id, s.specifiers, **names)
        else:
            market = f"market {s.market_id} {s.specifiers}".strip()
            outcome = s.outcome_id
        out[s] = SelectionName(
            event=str(event) if event else f"event {s.event_id}",
            market=market,
            outcome=outcome,
            sport=event.sport.name if event else "",
            start_time=event.start_time if event else None,
        )
    return out
