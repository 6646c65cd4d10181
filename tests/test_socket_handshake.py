"""Both socket servers (the players' sockets and the live-odds gateway) refuse the same sockets:
one Origin check and one brand resolution, on real processes."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus

from apps.realtime import brand, gateway, middleware, origin
from tests import live
from tests.feed_helpers import make_event
from tests.test_realtime import _login


@pytest.fixture(scope="module")
def sockets(platform):
    with live.sockets_server() as port:
        yield port


@pytest.fixture(scope="module")
def odds_gateway(platform):
    with live.gateway_server() as port:
        yield port


@pytest.fixture
def both(sockets, odds_gateway, alpha, beta):
    """Open a socket on either server: a player's (logged in on alpha) or an event page's."""
    _, cookie = _login(alpha, "handshake")
    event = make_event("sr:match:4100")

    def open_on(server: str, host: str, origin: str | None = None):
        if server == "players":
            return live.websocket(sockets, host, cookie, origin=origin)
        path = f"/ws/events/{event.id}/"
        return live.websocket(odds_gateway, host, path=path, origin=origin)

    return open_on


def _status(open_on, server, host, origin=None) -> int:
    try:
        with open_on(server, host, origin) as sock:
            json.loads(sock.recv(timeout=10))  # hello, or the event's whole view
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def test_both_servers_share_one_origin_check_and_one_brand_resolution():
    assert middleware.same_origin is gateway.same_origin is origin.same_origin
    assert middleware.socket_brand is gateway.socket_brand is brand.socket_brand


@pytest.mark.parametrize("server", ["players", "odds"])
def test_a_foreign_origin_and_an_unknown_host_are_refused_on_both_servers(both, server):
    # The brand's own page (served by web on another port of the same host) may open it...
    assert _status(both, server, "alpha.localhost", "http://alpha.localhost:8000") == 101
    assert _status(both, server, "alpha.localhost") == 101  # ... and so may a non-browser
    # ... another site's page may not, nor another brand's.
    assert _status(both, server, "alpha.localhost", "http://evil.example") == 403
    assert _status(both, server, "alpha.localhost", "http://beta.localhost") == 403
    assert _status(both, server, "alpha.localhost", "null") == 403
    # A host no brand has, and the platform's own (its backoffice), have no sockets.
    assert _status(both, server, "nowhere.localhost") == 403
    assert _status(both, server, "localhost") == 403
