"""A line as the brand's players see it now, a leg checked against it, and the lines held against
a settlement: what placement, the live decision and cash-out share.

The shard's replica gives a line's state (``bets_lines``: status, producer, desk, results, the
line's event); the brand's offer (``apps.catalog.offering``, cached per process for
``OFFER_CACHE_S``) then closes content the brand hides or suspends, and prices the odds after the
brand's margin and overrides, as its pages show them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from apps.bets.refusals import BetRefused
from apps.catalog.models import Event
from apps.catalog.offering import Offer, offer_for
from shards.prepared import prepared_cursor

OPEN_EVENT_STATUSES = (0, 1)  # not started, live

# The replica's lines (apps/bets/sql/bets_lines.sql): status, producer, desk, results, each
# line's event, in the 13 columns of ``LineRow``.
_LINES = "SELECT * FROM bets_lines(%s)"


class LineRow(NamedTuple):
    """A row of ``bets_lines`` (and the line's columns of ``bets_open_slip``)."""

    id: int
    event_id: int
    market_id: int
    specifiers: str
    status: int
    outcomes: list[dict] | str
    event_status: int
    event_live: bool
    sport_id: int
    urn: str
    producer_down: bool
    desk_suspended: bool
    resulted: bool


@dataclass(frozen=True)
class LegRequest:
    market: int  # the catalog's market line id
    outcome: str
    odds: Decimal  # the odds the player saw


@dataclass(frozen=True)
class LineNow:
    market: int
    event_id: int
    market_id: int
    specifiers: str
    open: bool
    why_closed: str
    odds: dict[str, Decimal | None]  # active outcomes' current odds
    live: bool
    sport_id: int


def lines_now(*, using: str, markets: list[int], brand_id: int) -> dict[int, LineNow]:
    """These market lines as the brand's players see them now: the shard's replica (status,
    producer, desk, results), then the brand's offer."""
    with prepared_cursor(using) as cursor:
        cursor.execute(_LINES, [markets])
        rows = cursor.fetchall()
    return lines_seen(rows=map(LineRow._make, rows), brand_id=brand_id)


# A shared transaction advisory lock on each line, in id order, keyed by the line's id: what a
# placement takes in ``bets_open_slip`` and a cash-out here; a settlement takes the same keys
# exclusively (``settlement.results_settle``).
_HOLD = (
    "SELECT count(pg_advisory_xact_lock_shared(x.m)) "
    "FROM (SELECT DISTINCT m FROM unnest(%s::bigint[]) AS m ORDER BY m) x"
)


def lines_hold(*, using: str, markets: list[int]) -> None:
    """Hold these lines against a settlement until the caller's transaction ends (shared: other
    placements and cash-outs are not held up). A result for one of them either committed before
    (what is read after this sees it) or waits for the caller's commit."""
    if markets:
        with prepared_cursor(using) as cursor:
            cursor.execute(_HOLD, [markets])


def lines_seen(*, rows: Iterable[LineRow], brand_id: int) -> dict[int, LineNow]:
    """Rows of ``bets_lines`` as the brand's players see them (see ``lines_now``)."""
    offer = offer_for(brand_id)
    out = {}
    for row in rows:
        outcomes = row.outcomes
        if isinstance(outcomes, str):
            outcomes = json.loads(outcomes)
        why = (
            "market_settled"
            if row.resulted
            else "market_suspended"
            if row.status != 1
            else "producer_down"
            if row.producer_down
            else "market_suspended"
            if row.desk_suspended
            else "event_closed"
            if row.event_status not in OPEN_EVENT_STATUSES
            else _brand_closes(offer, row.event_id, row.urn, row.market_id, row.specifiers)
        )
        odds = {}
        for o in outcomes:
            if o.get("active"):
                price = offer.price(row.urn, row.market_id, row.specifiers, o["id"], o.get("odds"))
                if price is not None:
                    odds[o["id"]] = Decimal(price)
        out[row.id] = LineNow(
            market=row.id,
            event_id=row.event_id,
            market_id=row.market_id,
            specifiers=row.specifiers,
            open=not why,
            why_closed=why,
            odds=odds,
            live=bool(row.event_live) or row.event_status == 1,
            sport_id=row.sport_id,
        )
    return out


def _brand_closes(offer: Offer, event_id: int, urn: str, market_id: int, specifiers: str) -> str:
    """Why the brand's offer closes this line ("" when it does not)."""
    sport, tournament = _event_path(event_id)
    if not offer.event_offered(sport=sport, tournament=tournament, event=urn):
        return "not_offered"
    if offer.event_suspended(sport=sport, tournament=tournament, event=urn):
        return "market_suspended"
    state = offer.line_state(urn, market_id, specifiers)
    return {"hidden": "not_offered", "suspended": "market_suspended"}.get(state or "", "")


_paths: dict[int, tuple[str, str | None]] = {}
PATHS_KEPT = 50_000


def _event_path(event_id: int) -> tuple[str, str | None]:
    """The event's sport and tournament URNs (from the global catalog, once per process: they
    never change), which a brand's rules name."""
    hit = _paths.get(event_id)
    if hit is None:
        found = (
            Event.objects.filter(pk=event_id).values_list("sport__urn", "tournament__urn").first()
        )
        hit = found if found is not None else ("", None)
        if len(_paths) >= PATHS_KEPT:
            _paths.clear()
        _paths[event_id] = hit
    return hit


def leg_check(*, position: int, leg: LegRequest, line: LineNow | None, policy: str) -> Decimal:
    """The odds the leg is taken at on ``line`` as it is now, or BetRefused naming the leg (its
    position and selection) and, when only the price stands in the way, the odds now."""
    selection = {"market": leg.market, "outcome": leg.outcome}
    if line is None:
        raise BetRefused("unknown_market", "no such market", leg=position, selection=selection)
    if not line.open:
        raise BetRefused(
            line.why_closed, "the market takes no bets now", leg=position, selection=selection
        )
    current = line.odds.get(leg.outcome)
    if current is None:
        raise BetRefused(
            "outcome_inactive", "the outcome takes no bets now", leg=position, selection=selection
        )
    if current == leg.odds or policy == "any" or (policy == "higher" and current > leg.odds):
        return current
    raise BetRefused(
        "odds_changed", "the odds changed", leg=position, selection=selection, odds=str(current)
    )
