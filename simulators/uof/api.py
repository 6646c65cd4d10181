"""The provider's small HTTP API, as the simulator serves it on 127.0.0.1.

- ``POST /v1/{liveodds|pre}/recovery/initiate_request?after=<ms>&request_id=<n>&node_id=<id>``:
  202 ``<response response_code="ACCEPTED"/>`` at once; the simulator then publishes the current
  odds of every event of that producer (odds_change carrying ``request_id``) and a
  ``snapshot_complete`` with the same ``request_id``, routed to the node id (``-`` without one).
  An unknown product is 404, a missing or bad ``request_id`` (or ``after``) 400.
- ``GET /v1/sports/en/sport_events/{urn}/fixture.xml``: the event's fixture, 404 if unknown.
- ``GET /v1/descriptions/producers.xml``: the producers (1 LO "liveodds", 3 Ctrl "pre").
- Test controls: ``POST /control/producers/{id}/silence`` (no message, alive included, from that
  producer until resumed), ``.../resume``, ``.../unsubscribe`` (one alive with subscribed="0"),
  ``GET /control/stats`` (JSON: messages published by type and producer, rate, lag).
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from . import xml

PRODUCTS = {"liveodds": 1, "pre": 3}
NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RECOVERY = re.compile(r"^/v1/([^/]+)/recovery/initiate_request$")
FIXTURE = re.compile(r"^/v1/sports/[a-z]{2}/sport_events/([^/]+)/fixture\.xml$")
CONTROL = re.compile(r"^/control/producers/(\d+)/(silence|resume|unsubscribe)$")


class Simulator(Protocol):
    api_url: str

    def fixture(self, urn: str) -> xml.FixtureDoc | None: ...

    def request_recovery(
        self, product: int, request_id: int, node_id: str | None, after: int | None
    ) -> None: ...

    def silence(self, product: int) -> None: ...

    def resume(self, product: int) -> None: ...

    def unsubscribe(self, product: int) -> None: ...

    def stats(self) -> dict: ...


def make_server(simulator: Simulator, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # the simulator logs what matters itself
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/xml") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, xml.response(code, message))

        def _drain(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path = url.path
            if path == "/v1/descriptions/producers.xml":
                return self._send(200, xml.producers(simulator.api_url))
            if path == "/control/stats":
                body = json.dumps(simulator.stats()).encode()
                return self._send(200, body, "application/json")
            match = FIXTURE.match(path)
            if match:
                doc = simulator.fixture(unquote(match.group(1)))
                if doc is None:
                    return self._error(404, "NOT_FOUND", f"no fixture {match.group(1)}")
                return self._send(200, xml.fixture(doc))
            return self._error(404, "NOT_FOUND", f"no resource {path}")

        def do_POST(self) -> None:
            self._drain()
            url = urlsplit(self.path)
            match = RECOVERY.match(url.path)
            if match:
                return self._recovery(match.group(1), parse_qs(url.query))
            match = CONTROL.match(url.path)
            if match:
                product, action = int(match.group(1)), match.group(2)
                if product not in PRODUCTS.values():
                    return self._error(404, "NOT_FOUND", f"no producer {product}")
                getattr(simulator, action)(product)
                return self._send(200, xml.response("OK"))
            return self._error(404, "NOT_FOUND", f"no resource {url.path}")

        def _recovery(self, name: str, query: dict[str, list[str]]) -> None:
            product = PRODUCTS.get(name)
            if product is None:
                return self._error(404, "NOT_FOUND", f"no producer {name!r}")
            try:
                request_id = int(query["request_id"][0])
                after = int(query["after"][0]) if "after" in query else None
            except (KeyError, ValueError):
                return self._error(400, "BAD_REQUEST", "request_id (and after) must be integers")
            node_id = query.get("node_id", [None])[0]
            if node_id is not None and not NODE_ID.match(node_id):
                return self._error(400, "BAD_REQUEST", "bad node_id")
            simulator.request_recovery(product, request_id, node_id, after)
            return self._send(202, xml.response("ACCEPTED"))

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server
