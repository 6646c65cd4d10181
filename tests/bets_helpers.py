"""Helpers for the bets tests: a small book of events on the shards' replicas, slips."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal

from apps.bets.lines import LegRequest
from apps.bets.placement import Slip
from apps.catalog.models import Market
from betting import ttl_cache
from tests.feed_helpers import adapter, make_event, market, odds_change, replicate

M, M2 = "sr:match:4000", "sr:match:4001"
ONE_X_TWO = {"1": "2.10", "2": "3.30", "3": "3.60"}
LIVE = '<sport_event_status status="1" home_score="0" away_score="0"/>'


@contextlib.contextmanager
def open_book() -> Iterator:
    """Two prematch events with a 1x2 line each (and a total on the first), replicated to the
    shards, producer 1 up; yields the feed adapter that keeps them."""
    ttl_cache.clear_all()
    feed = adapter()
    make_event(M)
    make_event(M2)
    feed.process(
        [
            odds_change(
                M,
                1000,
                market(1, ONE_X_TWO)
                + market(18, {"12": "1.90", "13": "1.90"}, specifiers="total=2.5"),
            ),
            odds_change(M2, 1000, market(1, ONE_X_TWO)),
            b'<alive product="1" timestamp="1" subscribed="1"/>',  # no recovery API: up
        ]
    )
    replicate()
    try:
        yield feed
    finally:
        feed.coalescer.stop()


def line(urn, market_id=1, specifiers=""):
    return Market.objects.get(event__urn=urn, market_id=market_id, specifiers=specifiers).id


def slip(key, legs, *, stake=1000, kind="single", system="", policy="none"):
    return Slip(
        key=key,
        kind=kind,
        system=system,
        unit_stake=stake,
        odds_policy=policy,
        legs=tuple(LegRequest(market=m, outcome=o, odds=Decimal(p)) for m, o, p in legs),
    )
