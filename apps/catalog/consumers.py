"""An event page's socket: the event's current odds on connect, then coalesced changes.

Changes arrive on the event's group (``catalog.live``) as the feed's rows; each socket turns them
into what its brand offers (margin, overrides, suspensions) before sending. A ``refresh`` (a
producer went down or came back, the trading desk acted) sends the whole event again.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.catalog import live, snapshot
from apps.catalog.models import Event
from apps.catalog.offering import Offer, cached_offer, offer_for

PRODUCERS_CACHE_S = 1.0
RENDERED_KEPT = 256
_producers: dict[str, tuple[float, set[int]]] = {}
_rendered: OrderedDict[tuple, str] = OrderedDict()


def _producers_down(provider: str, *, fresh: bool = False) -> set[int]:
    """Producers down, cached for a second per process (``fresh``: read now). Blocking: call it
    off the event loop."""
    hit = _producers.get(provider)
    now = time.monotonic()
    if fresh or hit is None or now - hit[0] > PRODUCERS_CACHE_S:
        hit = (now, live.producers_down(provider))
        _producers[provider] = hit
    return hit[1]


async def _producers_down_async(provider: str) -> set[int]:
    hit = _producers.get(provider)
    if hit is not None and time.monotonic() - hit[0] <= PRODUCERS_CACHE_S:
        return hit[1]
    return await sync_to_async(_producers_down, thread_sensitive=False)(provider)


@database_sync_to_async
def _load(event_id: int, brand_id: int) -> tuple[Event, Offer] | None:
    event = Event.objects.select_related("sport", "tournament").filter(pk=event_id).first()
    if event is None:
        return None
    offer = offer_for(brand_id)
    tournament = event.tournament.urn if event.tournament_id else None
    if not offer.event_offered(sport=event.sport.urn, tournament=tournament, event=event.urn):
        return None
    return event, offer


async def _offer(brand_id: int) -> Offer:
    """The brand's offer; compiled (a query) off the event loop when the cached one is stale."""
    cached = cached_offer(brand_id)
    return cached if cached is not None else await database_sync_to_async(offer_for)(brand_id)


@database_sync_to_async
def _full_view(event: Event, brand_id: int) -> tuple[dict[str, Any], Offer]:
    offer = offer_for(brand_id)
    # A refresh often follows a producer's change: read the producers' states afresh.
    down = _producers_down(event.provider, fresh=True)
    view = snapshot.view(event, offer, producers_down=down)
    return view, offer


class EventOddsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        brand = self.scope.get("brand")
        event_id = self.scope["url_route"]["kwargs"]["event_id"]
        loaded = await _load(event_id, brand.id) if brand is not None else None
        if loaded is None:
            await self.close()  # no such event for this brand: the handshake gets 403
            return
        self.event, self.offer = loaded
        self.brand_id = brand.id
        self.group = live.event_group(self.event.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send_full()

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def _send_full(self) -> None:
        view, self.offer = await _full_view(self.event, self.brand_id)
        self.closed = view["closed"]
        self.desk = set(view["desk_suspended"])
        await self.send_json(view)

    async def catalog_odds(self, message: dict[str, Any]) -> None:
        if message.get("refresh"):
            await self._send_full()
            return
        down = await _producers_down_async(self.event.provider)
        self.offer = await _offer(self.brand_id)
        # Every socket of the brand on this event renders the push the same way: once per
        # process, then the text is sent as is.
        key = (message.get("push"), id(self.offer), self.closed, frozenset(self.desk),
               frozenset(down))  # fmt: skip
        text = _rendered.get(key) if key[0] else None
        if text is None:
            text = json.dumps(
                {
                    "type": "odds",
                    "event": self.event.id,
                    "ts": message["ts"],
                    "status": message["status"],
                    "markets": self.offer.lines(
                        self.event.urn,
                        message["markets"],
                        closed=self.closed,
                        producers_down=down,
                        desk_suspended=self.desk,
                    ),
                    "full": False,
                },
                separators=(",", ":"),
            )
            if key[0]:
                _rendered[key] = text
                if len(_rendered) > RENDERED_KEPT:
                    _rendered.popitem(last=False)
        await self.send(text_data=text)
