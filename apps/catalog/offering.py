"""What a brand offers and at what price: its rules compiled for the hot paths.

A brand offers the whole catalog unless an ``OfferingRule`` says otherwise (platform-wide rules
have no brand). The compiled ``Offer`` answers, without a query, whether an event or market line
is offered or suspended for the brand and what an outcome's odds are after the brand's margin and
overrides. Offers are cached per process for a few seconds; a change made in the admin reaches
every page within that time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q

from apps.catalog.models import ACTIVE, BrandPricing, OfferingRule
from betting.ttl_cache import TtlCache

MIN_ODDS = Decimal("1.01")
CENT = Decimal("0.01")


@dataclass
class Offer:
    brand_id: int
    margin_pct: Decimal = Decimal(0)
    hidden: set[tuple] = field(default_factory=set)
    suspended: set[tuple] = field(default_factory=set)
    overrides: dict[tuple, Decimal] = field(default_factory=dict)

    def event_offered(self, *, sport: str, tournament: str | None, event: str) -> bool:
        keys = {("sport", sport), ("event", event)}
        if tournament:
            keys.add(("tournament", tournament))
        return not (keys & self.hidden)

    def event_suspended(self, *, sport: str, tournament: str | None, event: str) -> bool:
        keys = {("sport", sport), ("event", event)}
        if tournament:
            keys.add(("tournament", tournament))
        return bool(keys & self.suspended)

    def line_state(self, event: str, market_id: int, specifiers: str) -> str | None:
        """ "hidden", "suspended" or None for a market line; a rule without specifiers covers
        every line of the market."""
        keys = (("market", event, market_id, specifiers), ("market", event, market_id, ""))
        if any(key in self.hidden for key in keys):
            return "hidden"
        if any(key in self.suspended for key in keys):
            return "suspended"
        return None

    def price(self, event: str, market_id: int, specifiers: str, outcome: str, odds: Any) -> str:
        override = self.overrides.get((event, market_id, specifiers, outcome))
        if override is not None:
            return str(override)
        if odds is None:
            return None
        value = Decimal(odds)
        if self.margin_pct > 0:
            value = (value / (1 + self.margin_pct / 100)).quantize(CENT, rounding=ROUND_DOWN)
            value = max(value, MIN_ODDS)
        return str(value)

    def lines(
        self,
        event: str,
        rows: list[list],
        *,
        closed: bool,
        producers_down: set[int],
        desk_suspended: set[int],
    ) -> list[dict[str, Any]]:
        """Cached market rows ([id, market_id, specifiers, status, producer, ts, outcomes]) as
        the brand's players see them; lines the brand does not offer are left out."""
        out = []
        for pk, market_id, specifiers, status, producer, _ts, outcomes in rows:
            state = self.line_state(event, market_id, specifiers)
            if state == "hidden":
                continue
            is_open = (
                not closed
                and status == ACTIVE
                and producer not in producers_down
                and pk not in desk_suspended
                and state is None
            )
            out.append(
                {
                    "id": pk,
                    "market": market_id,
                    "specifiers": specifiers,
                    "status": status,
                    "open": is_open,
                    "outcomes": [
                        {
                            "id": o["id"],
                            "odds": self.price(event, market_id, specifiers, o["id"], o["odds"]),
                            "active": bool(o.get("active")) and is_open,
                        }
                        for o in outcomes
                    ],
                }
            )
        return out


def compile_offer(brand_id: int) -> Offer:
    pricing = BrandPricing.objects.filter(brand_id=brand_id).first()
    offer = Offer(brand_id=brand_id, margin_pct=pricing.margin_pct if pricing else Decimal(0))
    rules = OfferingRule.objects.filter(Q(brand_id=brand_id) | Q(brand_id__isnull=True))
    for rule in rules:
        if rule.level == "outcome" and rule.action == "odds":
            key = (rule.target, rule.market_id, rule.specifiers, rule.outcome_id)
            offer.overrides[key] = rule.odds
            continue
        if rule.level == "market":
            key: tuple = ("market", rule.target, rule.market_id, rule.specifiers)
        else:
            key = (rule.level, rule.target)
        (offer.hidden if rule.action == "hide" else offer.suspended).add(key)
    return offer


# Compiled offers by brand id, each at most ``settings.OFFER_CACHE_S`` seconds old.
_offers: TtlCache[Offer] = TtlCache("offers", ttl_s=lambda: settings.OFFER_CACHE_S)


def cached_offer(brand_id: int) -> Offer | None:
    """The brand's compiled offer if the cache holds a fresh one (no query)."""
    return _offers.get(brand_id)


def offer_for(brand_id: int) -> Offer:
    """The brand's compiled offer, at most ``settings.OFFER_CACHE_S`` seconds old."""
    offer = _offers.get(brand_id)
    if offer is None:
        offer = compile_offer(brand_id)
        _offers.put(brand_id, offer)
    return offer
