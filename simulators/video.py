"""A video provider for tests and demos, speaking the video protocol (``protocol.py``).

It keeps a set of event URNs (given, and/or read from a source such as the catalog every few
seconds) and gives most of them a stream, deterministically by seed and URN: whether the event is
offered, the stream id, qualities, blocked countries, and its timeline (scheduled for a while
after the simulator first sees the event, or live at once; live for a few minutes; then ended).
An event that leaves the set loses its stream.

``GET /v1/streams`` serves the listing with an ``ETag`` (304 on a matching ``If-None-Match``) and,
when the simulator has a token, refuses a request without it (401). For tests:
``POST /control/streams/<urn>`` with a JSON object pins that event's entry (the object's fields
over a live default entry, kept verbatim, so a test can also serve a broken entry) and
``DELETE /control/streams/<urn>`` removes the event's stream until it is set again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from apps.providers.video.protocol import PATH, TOKEN_HEADER, listing_body

log = logging.getLogger(__name__)

CONTROL = "/control/streams/"
STREAM_HOST = "video-simulator.invalid"
QUALITIES = [("720p",), ("720p", "1080p"), ("480p", "720p", "1080p")]
GEO = [(), (), ("US",), ("US", "FR")]


@dataclass(frozen=True)
class Plan:
    """What the seed decides for one event."""

    offered: bool
    stream_id: str
    lead_s: float  # seconds from first sight to live
    live_s: float  # seconds live, then ended
    quality: tuple[str, ...]
    geo_blocked: tuple[str, ...]


def plan_for(seed: int, urn: str, *, offered_share: float, lead_s: float, live_s: float) -> Plan:
    rng = random.Random(f"{seed}:{urn}")
    return Plan(
        offered=rng.random() < offered_share,
        stream_id=f"{rng.getrandbits(48):012x}",
        lead_s=0.0 if rng.random() < 0.5 else rng.uniform(0.0, lead_s),
        live_s=rng.uniform(live_s * 0.5, live_s * 1.5),
        quality=rng.choice(QUALITIES),
        geo_blocked=rng.choice(GEO),
    )


class VideoSimulator(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        *,
        port: int = 0,
        seed: int = 0,
        token: str | None = None,
        events: Iterable[str] = (),
        source: Callable[[], Iterable[str]] | None = None,
        refresh_s: float = 5.0,
        offered_share: float = 0.8,
        lead_s: float = 60.0,
        live_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.seed = seed
        self.token = token or None
        self.source = source
        self.refresh_s = refresh_s
        self.offered_share = offered_share
        self.lead_s = lead_s
        self.live_s = live_s
        self.clock = clock
        self.lock = threading.Lock()
        self.given: set[str] = set(events)
        self.sourced: set[str] = set()
        self.first_seen: dict[str, float] = {}
        self.pinned: dict[str, dict[str, Any]] = {}
        self.removed: set[str] = set()
        self.raw_body: bytes | None = None  # tests: serve this instead of the listing
        self.answers: Counter[int] = Counter()  # status code -> times answered
        self._closing = threading.Event()
        self._workers: list[threading.Thread] = []
        self._seen(self.given)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VideoSimulator:
        if self.source is not None:
            try:
                self.refresh()
            except Exception as exc:  # serve the given events; the loop tries again
                log.warning("video simulator: cannot read its events", extra={"error": repr(exc)})
            self._workers.append(threading.Thread(target=self._refresh_loop, daemon=True))
        self._workers.append(threading.Thread(target=self.serve_forever, daemon=True))
        for thread in self._workers:
            thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self.shutdown()
        self.server_close()
        for thread in self._workers:
            thread.join(timeout=5)

    # -- the set of events ---------------------------------------------------------------------

    def _seen(self, urns: Iterable[str]) -> None:
        now = self.clock()
        for urn in urns:
            self.first_seen.setdefault(urn, now)

    def add_events(self, urns: Iterable[str]) -> None:
        with self.lock:
            urns = set(urns)
            self.given |= urns
            self._seen(urns)

    def refresh(self) -> None:
        """Read the source's events now (an event it no longer lists loses its stream)."""
        urns = set(self.source())
        with self.lock:
            self.sourced = urns
            self._seen(urns)

    def _refresh_loop(self) -> None:
        while not self._closing.wait(self.refresh_s):
            try:
                self.refresh()
            except Exception as exc:  # keep serving the last set; try again later
                log.warning("video simulator: cannot read its events", extra={"error": repr(exc)})

    def set_stream(self, urn: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._seen([urn])
            self.removed.discard(urn)
            entry = {**self._entry(urn, status="live"), **fields}
            self.pinned[urn] = entry
            return entry

    def remove_stream(self, urn: str) -> bool:
        with self.lock:
            listed = urn in self.pinned or urn in self.given or urn in self.sourced
            self.pinned.pop(urn, None)
            self.removed.add(urn)
            return listed

    # -- the listing ---------------------------------------------------------------------------

    def _plan(self, urn: str) -> Plan:
        return plan_for(
            self.seed, urn, offered_share=self.offered_share, lead_s=self.lead_s, live_s=self.live_s
        )

    def _entry(self, urn: str, *, status: str | None = None) -> dict[str, Any]:
        plan = self._plan(urn)
        live_at = self.first_seen.get(urn, self.clock()) + plan.lead_s
        if status is None:
            now = self.clock()
            status = (
                "scheduled" if now < live_at else "live" if now < live_at + plan.live_s else "ended"
            )
        return {
            "event": urn,
            "stream_id": plan.stream_id,
            "status": status,
            "url": f"https://{STREAM_HOST}/hls/{plan.stream_id}.m3u8",
            "start_ms": int(live_at * 1000),
            "quality": list(plan.quality),
            "geo_blocked": list(plan.geo_blocked),
        }

    def entries(self) -> list[dict[str, Any]]:
        with self.lock:
            urns = sorted((self.given | self.sourced | set(self.pinned)) - self.removed)
            out = []
            for urn in urns:
                if urn in self.pinned:
                    out.append(self.pinned[urn])
                elif self._plan(urn).offered:
                    out.append(self._entry(urn))
            return out

    def snapshot(self) -> tuple[bytes, str]:
        """The body to serve and its ETag (which changes only when the streams do)."""
        if self.raw_body is not None:
            body = self.raw_body
            digest = hashlib.sha256(body).hexdigest()
        else:
            entries = self.entries()
            digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
            body = listing_body(int(self.clock() * 1000), entries)
        return body, f'"{digest[:20]}"'


class _Handler(BaseHTTPRequestHandler):
    server: VideoSimulator

    def log_message(self, *args: Any) -> None:  # quiet: tests read the platform's logs
        pass

    def _send(self, status: int, body: bytes = b"", etag: str | None = None) -> None:
        with self.server.lock:
            self.server.answers[status] += 1
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def do_GET(self) -> None:
        if urlsplit(self.path).path != PATH:
            return self._json(404, {"error": "not found"})
        token = self.server.token
        if token and not hmac.compare_digest(
            self.headers.get(TOKEN_HEADER, "").encode(), token.encode()
        ):
            return self._json(401, {"error": "invalid token"})
        body, etag = self.server.snapshot()
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, etag=etag)
        return self._send(200, body, etag)

    def _control_urn(self) -> str | None:
        path = urlsplit(self.path).path
        if not path.startswith(CONTROL):
            return None
        return unquote(path[len(CONTROL) :]) or None

    def do_POST(self) -> None:
        urn = self._control_urn()
        if urn is None:
            return self._json(404, {"error": "not found"})
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            fields = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": "the body must be JSON"})
        if not isinstance(fields, dict):
            return self._json(400, {"error": "the body must be an object"})
        return self._json(200, self.server.set_stream(urn, fields))

    def do_DELETE(self) -> None:
        urn = self._control_urn()
        if urn is None:
            return self._json(404, {"error": "not found"})
        return self._json(200, {"removed": self.server.remove_stream(urn)})
