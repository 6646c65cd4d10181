"""The live-odds gateway: event pages' sockets, served by a small asyncio process per core.

Pushes are broadcasts: one event's change goes to every page open on it. A general-purpose socket
stack pays a dispatch, a handler and a framing per socket and per push; here each process keeps
the sockets of an event grouped by brand, renders a push once per brand and writes the same frame
to all of them (``websockets.broadcast``). The adapter's coalescer publishes each push once on the
event's Redis channel (``realtime.odds``); a process subscribes to an event's channel while it
has sockets on it.

A socket is accepted for ``/ws/events/<id>/`` on a brand's host (``realtime.brand``) when the
brand offers the event and a browser's Origin is that same host (``realtime.origin``): otherwise
the handshake gets 403. It receives the event's whole current state at once, then the changes,
priced for its brand; a ``refresh`` push (a producer's change, the desk, a video) sends the whole
state again. What a page shows comes from the ``EventPages`` the catalog registers
(``realtime.pages``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from websockets.asyncio.server import ServerConnection, broadcast, serve

from apps.realtime.brand import socket_brand
from apps.realtime.odds import odds_channel
from apps.realtime.origin import request_host, same_origin
from apps.realtime.pages import EventPages, PageView, pages_registered
from betting import redis_clients

log = logging.getLogger(__name__)

PATH = re.compile(r"^/ws/events/(\d+)/$")


@dataclass
class BrandRoom:
    """The sockets of one brand on one event, and what the brand's last whole view said."""

    brand_id: int
    sockets: set[ServerConnection] = field(default_factory=set)
    # Sockets waiting for their first (whole) view: pushes skip them, and mark them stale.
    joining: dict[ServerConnection, bool] = field(default_factory=dict)
    state: Any = None  # the last whole view's (``PageView.state``)


@dataclass
class Room:
    page: Any  # the event, as ``EventPages.open`` gave it
    brands: dict[int, BrandRoom] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(room.sockets or room.joining for room in self.brands.values())


class Gateway:
    def __init__(self, pages: EventPages) -> None:
        self.pages = pages
        self.rooms: dict[int, Room] = {}
        self.redis = redis_clients.connect_async(socket_timeout=5, socket_connect_timeout=5)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self._lock = asyncio.Lock()

    # -- handshake and sockets ---------------------------------------------------------------

    async def process_request(self, conn: ServerConnection, request: Any) -> Any:
        match = PATH.match(urlsplit(request.path).path)
        host = request_host(request.headers.get("Host"))
        if match is None:
            return conn.respond(HTTPStatus.NOT_FOUND, "no such socket\n")
        if not same_origin(request.headers.get("Origin"), host):
            return conn.respond(HTTPStatus.FORBIDDEN, "another site's page\n")
        event_id = int(match[1])
        resolved = await sync_to_async(self._open, thread_sensitive=False)(host, event_id)
        if resolved is None:
            return conn.respond(HTTPStatus.FORBIDDEN, "no such event on this site\n")
        conn.resolved = (event_id, *resolved)  # type: ignore[attr-defined]
        return None

    def _open(self, host: str, event_id: int) -> tuple[int, Any] | None:
        """(brand id, page) when the brand of ``host`` offers the event; runs in a thread."""
        close_old_connections()
        brand = socket_brand(host)
        if brand is None:
            return None
        page = self.pages.open(brand_id=brand.pk, event_id=event_id)
        return None if page is None else (brand.pk, page)

    async def handler(self, conn: ServerConnection) -> None:
        event_id, brand_id, page = conn.resolved  # type: ignore[attr-defined]
        brand_room = await self._join(event_id, page, brand_id, conn)
        try:
            # The whole view goes first; a push that came meanwhile means it may be stale, so
            # it is read again (a few times at most) before the socket takes pushes.
            for _ in range(5):
                brand_room.joining[conn] = False
                view = await self._view(page, brand_id, fresh=False)
                if not brand_room.joining[conn]:
                    break
            brand_room.state = view.state
            await conn.send(view.text)
            del brand_room.joining[conn]
            brand_room.sockets.add(conn)
            async for message in conn:
                if message == '{"type":"ping"}' or _is_ping(message):
                    await conn.send('{"type":"pong"}')
        finally:
            await self._leave(event_id, brand_id, conn)

    async def _join(
        self, event_id: int, page: Any, brand_id: int, conn: ServerConnection
    ) -> BrandRoom:
        async with self._lock:
            room = self.rooms.get(event_id)
            if room is None:
                room = self.rooms[event_id] = Room(page=page)
                await self.pubsub.subscribe(odds_channel(event_id))
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
                await self.pubsub.unsubscribe(odds_channel(event_id))

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
        page = room.page
        if push.get("refresh"):
            context = await self.pages.context(page, self.redis, fresh=True)
            for brand_room in list(room.brands.values()):
                if not brand_room.sockets:
                    continue
                view = await sync_to_async(self._whole_view, thread_sensitive=False)(
                    page, brand_room.brand_id, context
                )
                brand_room.state = view.state
                broadcast(brand_room.sockets, view.text)
            return
        context = await self.pages.context(page, self.redis, fresh=False)
        for brand_room in list(room.brands.values()):
            if not brand_room.sockets:
                continue
            text = await self.pages.odds(
                page,
                brand_id=brand_room.brand_id,
                push=push,
                state=brand_room.state,
                context=context,
            )
            broadcast(brand_room.sockets, text)

    async def _view(self, page: Any, brand_id: int, *, fresh: bool) -> PageView:
        context = await self.pages.context(page, self.redis, fresh=fresh)
        return await sync_to_async(self._whole_view, thread_sensitive=False)(
            page, brand_id, context
        )

    def _whole_view(self, page: Any, brand_id: int, context: Any) -> PageView:
        close_old_connections()
        return self.pages.view(page, brand_id=brand_id, context=context)


def _is_ping(message: Any) -> bool:
    try:
        return json.loads(message).get("type") == "ping"
    except (ValueError, AttributeError):
        return False


async def run(
    *, host: str, port: int, stop: asyncio.Event, ready=None, pages: EventPages | None = None
) -> None:
    gateway = Gateway(pages if pages is not None else pages_registered())
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
