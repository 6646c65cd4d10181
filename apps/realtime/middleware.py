"""Channels middleware: the brand from the Host header, the player from the session cookie.

The brand and player are put in the connection's scope explicitly; nothing relies on a
thread-local set elsewhere.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.sessions import SessionMiddlewareStack
from django.db import connection

from apps.brands.selectors import BrandRef, brand_for_host
from apps.players.sessions import player_from_session


def _host(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return value.decode("latin-1").split(":")[0].lower()
    return ""


@database_sync_to_async
def _resolve(host: str, session) -> tuple[BrandRef | None, object]:
    connection.set_schema_to_public()
    brand = brand_for_host(host) if host else None
    if brand is None or brand.is_platform:
        return None, None
    player = player_from_session(session, brand.pk) if session is not None else None
    return BrandRef.of(brand), player


class BrandPlayerMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        brand, player = await _resolve(_host(scope), scope.get("session"))
        scope = dict(scope, brand=brand, player=player)
        return await self.app(scope, receive, send)


def BrandPlayerStack(app):  # noqa: N802 (named like Channels' own stacks)
    return SessionMiddlewareStack(BrandPlayerMiddleware(app))
