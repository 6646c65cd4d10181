"""The one Origin check of the platform's websockets (the players' sockets and event pages').

A browser sends the page's Origin when it opens a websocket, and the site's cookies with it. A
socket is accepted only when that Origin names the very host the socket was opened on (any port:
the brand's pages are served by web on another port of the same host), or when no Origin is sent
(not a browser). A page of another site, or of another brand, is refused, as Django's CSRF
protection refuses a cross-site POST.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def request_host(header: str | None) -> str:
    """The host name a socket was opened on, from its Host header: lower case, no port."""
    return (header or "").split(":")[0].lower()


def same_origin(origin: str | None, host: str) -> bool:
    """True when the socket may be opened: no Origin, or an Origin on ``host`` itself."""
    if origin is None:
        return True
    return (urlsplit(origin).hostname or "").lower() == host
