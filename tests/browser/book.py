"""The events the journeys bet on, fed through the test's own feed adapter (the provider's
messages applied in this process, as ``run_provider`` would); the stack's relay and shard pools
replicate them, its live-odds gateway pushes the changes to the pages."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.utils import timezone

from apps.catalog.fixtures import FixtureData, event_from_fixture
from apps.catalog.models import Event, Market, ReplicaMarket
from apps.providers.uof.adapter import UofAdapter
from shards import map as shard_map
from tests import processes
from tests.feed_helpers import adapter, market, odds_change

ONE_X_TWO = {"1": "2.10", "2": "3.30", "3": "3.60"}
# Home, draw, away of market 1 (1x2) in the UOF outcome ids.
HOME, DRAW, AWAY = "1", "2", "3"
FIXTURES = [
    ("sr:match:91001", "Arsenal", "Chelsea"),
    ("sr:match:91002", "Liverpool", "Everton"),
    ("sr:match:91003", "Leeds", "Fulham"),
]


@dataclass(frozen=True)
class Line:
    event: Event
    line: int  # the market line's id (what POST /api/v1/bets takes as "market")

    @property
    def name(self) -> str:
        return f"{self.event.home_name} v {self.event.away_name}"


class Book:
    """Three prematch football matches with a 1x2 line each, kick-off tomorrow: ``fixtures``
    (urn, home, away), or ``FIXTURES``. The package's tests share the stack's data, so a test
    that moves a price or settles a match has matches of its own."""

    def __init__(self, fixtures: list[tuple[str, str, str]] | None = None) -> None:
        self.feed: UofAdapter = adapter()
        self.ts = int(time.time() * 1000)
        start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
        self.lines: list[Line] = []
        for urn, home, away in fixtures or FIXTURES:
            number = urn.rsplit(":", 1)[-1]
            event = event_from_fixture(
                FixtureData(
                    urn=urn,
                    provider="uof",
                    sport_urn="sr:sport:1",
                    sport_name="Football",
                    category_urn="sr:category:1",
                    category_name="England",
                    tournament_urn=f"sr:tournament:{number}",
                    tournament_name="Premier League",
                    home_name=home,
                    away_name=away,
                    start_time=start,
                )
            )
            self.odds(event, ONE_X_TWO)
            self.lines.append(Line(event, Market.objects.get(event=event, market_id=1).id))
        self.feed.process([b'<alive product="1" timestamp="1" subscribed="1"/>'])
        processes.wait_until(self.replicated, timeout=60, message="the book's lines on every shard")

    def replicated(self) -> bool:
        ids = [line.line for line in self.lines]
        return all(
            ReplicaMarket.objects.using(alias).filter(id__in=ids).count() == len(ids)
            for alias in shard_map.aliases()
        )

    def _next_ts(self) -> int:
        self.ts += 1
        return self.ts

    def odds(self, event: Event, prices: dict[str, str]) -> None:
        """The provider's new prices for the event's 1x2: pushed to open pages at once, and
        waited for on every shard (where a bet's price is checked) before returning, so a bet
        at the new price is not refused for a replica that has yet to hear of it."""
        ts = self._next_ts()
        self.feed.process([odds_change(event.urn, ts, market(1, prices))])

        def everywhere() -> bool:
            return all(
                ReplicaMarket.objects.using(alias)
                .filter(event_id=event.id, market_id=1, ts__gte=ts)
                .exists()
                for alias in shard_map.aliases()
            )

        processes.wait_until(everywhere, timeout=60, message="the new prices on every shard")

    def settle(self, event: Event, winner: str) -> None:
        """The provider's confirmed result of the event's 1x2: ``winner`` won, the others lost."""
        outcomes = "".join(
            f'<outcome id="{o}" result="{1 if o == winner else 0}"/>' for o in ONE_X_TWO
        )
        self.feed.process(
            [
                (
                    f'<bet_settlement product="1" event_id="{event.urn}" '
                    f'timestamp="{self._next_ts()}" certainty="2">'
                    f'<outcomes><market id="1">{outcomes}</market></outcomes></bet_settlement>'
                ).encode()
            ]
        )

    def close(self) -> None:
        self.feed.coalescer.stop()
