"""What the live-odds gateway shows on an event page, and which app provides it.

The gateway (``realtime.gateway``) owns the sockets: the handshake (``realtime.origin``,
``realtime.brand``), the rooms of an event's sockets by brand, the Redis subscription and the
broadcasts. What a page shows (the odds cache, each brand's offer and prices, the producers'
flags) is the catalog's: the catalog registers its ``EventPages`` when the apps are loaded, and
the gateway asks it. Realtime sits below the catalog and the wallet, which push through it, so it
imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    import redis.asyncio as aioredis


class PageView(NamedTuple):
    """An event's whole view for one brand."""

    text: str  # as sent to the brand's sockets
    state: Any  # what the brand's later pushes are rendered with (until its next whole view)


class EventPages(Protocol):
    def open(self, *, brand_id: int, event_id: int) -> Any | None:
        """The event, when the brand offers it (None: the socket is refused). Runs in a
        thread, with database access."""

    async def context(self, page: Any, redis: aioredis.Redis, *, fresh: bool) -> Any:
        """What every brand's rendering of the event shares now; read once per push, ``fresh``
        for a refresh, cached briefly otherwise."""

    def view(self, page: Any, *, brand_id: int, context: Any) -> PageView:
        """The event's whole view for the brand. Runs in a thread, with database access."""

    async def odds(
        self, page: Any, *, brand_id: int, push: dict[str, Any], state: Any, context: Any
    ) -> str:
        """A push (``realtime.odds``) as the brand's sockets receive it; on the event loop."""


_pages: EventPages | None = None


def pages_register(pages: EventPages) -> None:
    """Make ``pages`` what the gateway serves (the catalog, when the apps are loaded)."""
    global _pages
    _pages = pages


def pages_registered() -> EventPages:
    if _pages is None:
        raise ImproperlyConfigured("no app registered the event pages the gateway serves")
    return _pages
