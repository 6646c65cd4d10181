"""Event pages as the live-odds gateway shows them: the catalog's side of the gateway.

The gateway (``realtime.gateway``) serves the sockets; this says what they show. An event is
shown on a brand's site when the brand offers it; its whole view comes from the odds cache
(``snapshot.view``), priced and filtered by the brand's offer, with the lines of producers that
are down closed; a push's lines are rendered the same way, once per brand. The producers' flags
are read once per push, and at most once a second per provider (``PRODUCERS_CACHE_S``) unless
a refresh asks for them fresh. ``CatalogConfig.ready`` registers ``CatalogPages`` with the
gateway.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from asgiref.sync import sync_to_async

from apps.catalog import live, snapshot
from apps.catalog.models import Event
from apps.catalog.offering import cached_offer, offer_for
from apps.realtime.pages import PageView
from betting.ttl_cache import TtlCache

if TYPE_CHECKING:
    import redis.asyncio as aioredis

PRODUCERS_CACHE_S = 1.0


class Shown(NamedTuple):
    """What a brand's last whole view of an event said, which its pushes are rendered with."""

    closed: bool  # the whole event closed (the desk, or the brand's suspension)
    desk_suspended: frozenset[int]  # lines the desk suspended


class CatalogPages:
    def __init__(self) -> None:
        self._producers: TtlCache[set[int]] = TtlCache("producers down", ttl_s=PRODUCERS_CACHE_S)

    def open(self, *, brand_id: int, event_id: int) -> Event | None:
        event = Event.objects.select_related("sport", "tournament").filter(pk=event_id).first()
        if event is None:
            return None
        tournament = event.tournament.urn if event.tournament_id else None
        offer = offer_for(brand_id)
        if not offer.event_offered(sport=event.sport.urn, tournament=tournament, event=event.urn):
            return None
        return event

    async def context(self, page: Event, redis: aioredis.Redis, *, fresh: bool) -> set[int]:
        """The producers of the event's provider that are down."""
        provider = page.provider
        down = None if fresh else self._producers.get(provider)
        if down is None:
            raw = await redis.hgetall(live.producers_key())
            down = live.down_in(raw, provider)
            self._producers.put(provider, down)
        return down

    def view(self, page: Event, *, brand_id: int, context: set[int]) -> PageView:
        view = snapshot.view(page, offer_for(brand_id), producers_down=context)
        shown = Shown(closed=view["closed"], desk_suspended=frozenset(view["desk_suspended"]))
        return PageView(json.dumps(view, separators=(",", ":")), shown)

    async def odds(
        self, page: Event, *, brand_id: int, push: dict[str, Any], state: Shown, context: set[int]
    ) -> str:
        offer = cached_offer(brand_id)
        if offer is None:
            offer = await sync_to_async(offer_for, thread_sensitive=False)(brand_id)
        return json.dumps(
            {
                "type": "odds",
                "event": page.id,
                "ts": push["ts"],
                "status": push["status"],
                "markets": offer.lines(
                    page.urn,
                    push["markets"],
                    closed=state.closed,
                    producers_down=context,
                    desk_suspended=state.desk_suspended,
                ),
                "full": False,
            },
            separators=(",", ":"),
        )
