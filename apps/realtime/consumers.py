"""The player's websocket: one per open page; joins the player's brand-scoped group."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.sessions.backends.cache import SessionStore

from apps.realtime.groups import player_group
from apps.realtime.notify import ACCOUNT_CLOSED_CODE


class PlayerConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        brand, player = self.scope.get("brand"), self.scope.get("player")
        if brand is None or player is None:
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.group = player_group(brand_id=brand.id, player_id=player.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "player_id": str(player.id)})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def player_event(self, event: dict) -> None:
        # A socket outlives the page's session: after a logout (the session is gone) it gets
        # nothing more and is closed.
        if not await _session_alive(self.session_key):
            await self.close()
            return
        await self.send_json(event["message"])

    async def player_close(self, event: dict) -> None:
        # The account was blocked or closed: say so, then close (the page stops taking bets).
        await self.send_json({"type": "account", "status": event["status"]})
        await self.close(code=ACCOUNT_CLOSED_CODE)


@database_sync_to_async
def _session_alive(session_key: str | None) -> bool:
    return bool(session_key) and SessionStore().exists(session_key)
