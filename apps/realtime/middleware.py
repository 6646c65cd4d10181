"""Channels middleware: the brand from the Host header, the player from the session cookie.

The brand and player are put in the connection's scope explicitly; nothing relies on a
thread-local set elsewhere. The Origin check and the brand are the live-odds gateway's too
(``realtime.origin``, ``realtime.brand``).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.sessions import SessionMiddlewareStack

from apps.brands.selectors import BrandRef
from apps.players.sessions import player_from_session
from apps.realtime.brand import socket_brand
from apps.realtime.origin import request_host, same_origin


def _header(scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _resolve(host: str, session) -> tuple[BrandRef | None, object]:
    brand = socket_brand(host)
    if brand is None:
        return None, None
    player = player_from_session(session, brand.pk) if session is not None else None
    return BrandRef.of(brand), player


class BrandPlayerMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        host = request_host(_header(scope, b"host"))
        if not same_origin(_header(scope, b"origin"), host):
            # A page of another site (or another brand) opening this brand's socket with the
            # visitor's cookie: refused before the consumer accepts it (HTTP 403).
            return await self.app(dict(scope, brand=None, player=None), receive, send)
        brand, player = await _resolve(host, scope.get("session"))
        scope = dict(scope, brand=brand, player=player)
        return await self.app(scope, receive, send)


def BrandPlayerStack(app):  # noqa: N802 (named like Channels' own stacks)
    return SessionMiddlewareStack(BrandPlayerMiddleware(app))
