"""Channels middleware: the brand from the Host header, the player from the session cookie.

The brand and player are put in the connection's scope explicitly; nothing relies on a
thread-local set elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

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


def _same_origin(scope, host: str) -> bool:
    """Browsers send Origin on websockets; when present it must be this very host."""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = urlsplit(value.decode("latin-1"))
            return (origin.hostname or "").lower() == host
    return True


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
        host = _host(scope)
        if not _same_origin(scope, host):
            # A page of another site (or another brand) opening this brand's socket with the
            # visitor's cookie: refused, as Django's CSRF protection refuses a cross-site POST.
            return await self.app(dict(scope, brand=None, player=None), receive, send)
        brand, player = await _resolve(host, scope.get("session"))
        scope = dict(scope, brand=brand, player=player)
        return await self.app(scope, receive, send)


def BrandPlayerStack(app):  # noqa: N802 (named like Channels' own stacks)
    return SessionMiddlewareStack(BrandPlayerMiddleware(app))
