"""The live-odds gateway: event pages' sockets, served by a small asyncio process per core.

Pushes are broadcasts: one event's change goes to every page open on it. A general-purpose socket
stack pays a dispatch, a handler and a framing per socket and per push; here each process keeps
the sockets of an event grouped by brand, renders a push once per brand and writes the same frame
to all of them (``websockets.broadcast``). The adapter publishes each coalesced push once on the
event's Redis channel (``catalog.live``); a process subscribes to an event's channel while it has
sockets on it.

A socket is accepted for ``/ws/events/<id>/`` on a brand's host when the brand offers the event
(and, when the browser sends an Origin, it is that same host): otherwise the handshake gets 403.
It receives the event's whole current state at once, then the changes, priced for its brand; a
``refresh`` push (a producer's change, the desk, a video) sends the whole state again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection
from websockets.asyncio.server import ServerConnection, broadcast, serve

from apps.brands.selectors import brand_for_host
from apps.catalog import live, snapshot
from apps.catalog.models import Event
from apps.catalog.offering import Offer, cached_offer, offer_for

log = logging.getLogger(__name__)

PATH = re.compile(r"^/ws/events/(\d+)/$")
PRODUCERS_CACHE_S = 1.0


@dataclass
class BrandRoom:
    """The sockets of one brand on one event, and what the brand's last full view said."""

    brand_id: int
    sockets: set[ServerConnection] = field(default_factory=set)
    # Sockets waiting for their first (whole) view: pushes skip them, and mark them stale.
    joining: dict[ServerConnection, bool] = field(default_factory=dict)
    closed: bool = False
    desk: frozenset[int] = frozenset()


@dataclass
class Room:
    event: Event
    brands: dict[int, BrandRoom] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(room.sockets or room.joining for room in self.brands.values())


def _resolve(host: str, event_id: int) -> tuple[int, Event] | None:
    """(brand id, event) when the brand of ``host`` offers the event; runs in a thread."""
    close_old_connections()
    connection.set_schema_to_public()
    brand = brand_for_host(host) if host else None
    if brand is None or brand.is_platform:
        return None
    event = Event.objects.select_related("sport", "tournament").filter(pk=event_id).first()
    if event is None:
        return None
    tournament = event.tournament.urn if event.tournament_id else None
    offer = offer_for(brand.pk)
    if not offer.event_offered(sport=event.sport.urn, tournament=tournament, event=event.urn):
        return None
    return brand.pk, event


def _full_view(event: Event, brand_id: int, down: set[int]) -> dict[str, Any]:
    close_old_connections()
    return snapshot.view(event, offer_for(brand_id), producers_down=down)


class Gateway:
    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self.redis = aioredis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5
        )
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self._producers: dict[str, tuple[float, set[int]]] = {}
        self._lock = asyncio.Lock()

    # -- handshake and sockets ---------------------------------------------------------------

    async def process_request(self, conn: ServerConnection, request: Any) -> Any:
        match = PATH.match(urlsplit(request.path).path)
        host = (request.headers.get("Host") or "").split(":")[0].lower()
        origin = request.headers.get("Origin")
        if match is None:
            return conn.respond(HTTPStatus.NOT_FOUND, "no such socket\n")
        if origin is not None and (urlsplit(origin).hostname or "").lower() != host:
            return conn.respond(HTTPStatus.FORBIDDEN, "another site's page\n")
        resolved = await sync_to_async(_resolve, thread_sensitive=False)(host, int(match[1]))
        if resolved is None:
            return conn.respond(HTTPStatus.FORBIDDEN, "no such event on this site\n")
        conn.resolved = resolved  # type: ignore[attr-defined]
        return None

    async def handler(self, conn: ServerConnection) -> None:
        brand_id, event = conn.resolved  # type: ignore[attr-defined]
        brand_room = await self._join(event, brand_id, conn)
        try:
            # The whole view goes first; a push that came meanwhile means it may be stale, so
            # it is read again (a few times at most) before the socket takes pushes.
            for _ in range(5):
                brand_room.joining[conn] = False
                view = await self._view(event, brand_id, fresh=False)
                if not brand_room.joining[conn]:
                    break
            brand_room.closed, brand_room.desk = view["closed"], frozenset(view["desk_suspended"])
            await conn.send(json.dumps(view, separators=(",", ":")))
            del brand_room.joining[conn]
            brand_room.sockets.add(conn)
            async for message in conn:
                if message == '{"type":"ping"}' or _is_ping(message):
                    await conn.send('{"type":"pong"}')
        finally:
            await self._leave(event.id, brand_id, conn)

    async def _join(self, event: Event, brand_id: int, conn: ServerConnection) -> BrandRoom:
        async with self._lock:
            room = self.rooms.get(event.id)
            if room is None:
                room = self.rooms[event.id] = Room(event=event)
                await self.pubsub.subscribe(live.odds_channel(event.id))
            brand_room = room.brands.setdefault(brand_id, BrandRoom(brand_id=brand_id))
            brand_room.joining[conn] = False
            return brand_room

    async def _leave(self, event_id: int, brand_id: int, conn: ServerConnection) -> None:
        async with self._lock:
            room = self.rooms.get(event_id)
            if room is None:
                return
            room.brands[brand_id].sockets.discard(conn)
            room.brands[brand_id].joining.pop(conn, None)
            if not room:
                del self.rooms[event_id]
                await self.pubsub.unsubscribe(live.odds_channel(event_id))

    # -- pushes ------------------------------------------------------------------------------

    async def listen(self) -> None:
        """Forward every push of a subscribed event to its sockets; runs for the process."""
        while True:
            if not self.pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except (aioredis.ConnectionError, aioredis.TimeoutError) as exc:
                log.warning("odds channel lost; resubscribing", extra={"error": repr(exc)})
                await asyncio.sleep(1)
                continue
            if message is None:
                continue
            try:
                await self._forward(json.loads(message["data"]))
            except Exception:
                log.exception("push not forwarded")

    async def _forward(self, push: dict[str, Any]) -> None:
        room = self.rooms.get(push["event"])
        if room is None:
            return
        for brand_room in room.brands.values():
            for conn in brand_room.joining:
                brand_room.joining[conn] = True  # its whole view may predate this push
        event = room.event
        if push.get("refresh"):
            down = await self._producers_down(event.provider, fresh=True)
            for brand_room in list(room.brands.values()):
                if not brand_room.sockets:
                    continue
                view = await sync_to_async(_full_view, thread_sensitive=False)(
                    event, brand_room.brand_id, down
                )
                brand_room.closed = view["closed"]
                brand_room.desk = frozenset(view["desk_suspended"])
                broadcast(brand_room.sockets, json.dumps(view, separators=(",", ":")))
            return
        down = await self._producers_down(event.provider)
        for brand_room in list(room.brands.values()):
            if not brand_room.sockets:
                continue
            offer = await self._offer(brand_room.brand_id)
            text = json.dumps(
                {
                    "type": "odds",
                    "event": event.id,
                    "ts": push["ts"],
                    "status": push["status"],
                    "markets": offer.lines(
                        event.urn,
                        push["markets"],
                        closed=brand_room.closed,
                        producers_down=down,
                        desk_suspended=brand_room.desk,
                    ),
                    "full": False,
                },
                separators=(",", ":"),
            )
            broadcast(brand_room.sockets, text)

    # -- what a rendering needs --------------------------------------------------------------

    async def _view(self, event: Event, brand_id: int, *, fresh: bool) -> dict[str, Any]:
        down = await self._producers_down(event.provider, fresh=fresh)
        return await sync_to_async(_full_view, thread_sensitive=False)(event, brand_id, down)

    async def _offer(self, brand_id: int) -> Offer:
        offer = cached_offer(brand_id)
        if offer is None:
            offer = await sync_to_async(offer_for, thread_sensitive=False)(brand_id)
        return offer

    async def _producers_down(self, provider: str, *, fresh: bool = False) -> set[int]:
        hit = self._producers.get(provider)
        now = time.monotonic()
        if fresh or hit is None or now - hit[0] > PRODUCERS_CACHE_S:
            raw = await self.redis.hgetall(live.producers_key())
            hit = self._producers[provider] = (now, live.down_in(raw, provider))
        return hit[1]


def _is_ping(message: Any) -> bool:
    try:
        return json.loads(message).get("type") == "ping"
    except (ValueError, AttributeError):
        return False


async def run(*, host: str, port: int, stop: asyncio.Event, ready=None) -> None:
    gateway = Gateway()
    async with serve(
        gateway.handler,
        host,
        port,
        process_request=gateway.process_request,
        max_size=64 * 1024,
        ping_interval=20,
        ping_timeout=20,
    ) as server:
        listener = asyncio.create_task(gateway.listen())
        bound = server.sockets[0].getsockname()[1]
        if ready is not None:
            ready(bound)
        await stop.wait()
        listener.cancel()
