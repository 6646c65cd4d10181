"""The video provider's wire format: ``GET /v1/streams`` and what an entry must look like.

The provider answers with one JSON object listing every stream it offers::

    {"generated_at": 1764255600000,
     "streams": [{"event": "sr:match:1", "stream_id": "a1b2c3", "status": "live",
                  "url": "https://video.example/hls/a1b2c3.m3u8", "start_ms": 1764255000000,
                  "quality": ["720p", "1080p"], "geo_blocked": ["US"]}]}

``status`` is "scheduled", "live" or "ended"; ``url`` may be missing or null only on an ended
stream; ``geo_blocked`` (ISO 3166 alpha-2 codes) may be missing. The answer carries an ``ETag``;
a request with a matching ``If-None-Match`` gets ``304 Not Modified`` and no body. When the
provider has a token, it is sent as the ``x-access-token`` header (a wrong one: 401).

A body that is not such an object is refused as a whole (``Malformed``); an entry that breaks a
rule is reported with its position and skipped, the others stand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PATH = "/v1/streams"
TOKEN_HEADER = "x-access-token"  # noqa: S105 (a header name)
STATUSES = ("scheduled", "live", "ended")
OFFERED = frozenset({"scheduled", "live"})
MAX_BODY_BYTES = 5_000_000

URN = re.compile(r"[a-z0-9_]+:[a-z0-9_]+:\d{1,18}")
STREAM_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
QUALITY = re.compile(r"[0-9]{3,4}p[0-9]{0,3}|audio|auto")
COUNTRY = re.compile(r"[A-Z]{2}")


class Malformed(ValueError):
    """A body or an entry that does not follow the protocol."""


@dataclass(frozen=True)
class Stream:
    event: str
    stream_id: str
    status: str
    url: str | None
    start_ms: int
    quality: tuple[str, ...]
    geo_blocked: tuple[str, ...] = ()

    @property
    def offered(self) -> bool:
        return self.status in OFFERED

    def metadata(self, provider: str) -> dict[str, Any]:
        """What the catalog keeps in ``Event.video`` for an offered stream."""
        return {
            "provider": provider,
            "stream_id": self.stream_id,
            "status": self.status,
            "url": self.url,
            "start_ms": self.start_ms,
            "quality": list(self.quality),
            "geo_blocked": list(self.geo_blocked),
        }


@dataclass(frozen=True)
class Listing:
    generated_at: int
    streams: list[Stream]
    entries: int  # entries in the body, valid or not
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (position, reason)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _strings(item: dict[str, Any], key: str, pattern: re.Pattern[str], *, required: bool):
    value = item.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or len(value) > 20:
        raise Malformed(f"{key} must be a list of at most 20 strings")
    for one in value:
        if not isinstance(one, str) or not pattern.fullmatch(one):
            raise Malformed(f"{key}: {one!r} is not allowed")
    return tuple(dict.fromkeys(value))


def parse_stream(item: Any) -> Stream:
    """One entry of ``streams``; ``Malformed`` says which rule it breaks."""
    if not isinstance(item, dict):
        raise Malformed("an entry must be an object")
    event = item.get("event")
    if not isinstance(event, str) or len(event) > 60 or not URN.fullmatch(event):
        raise Malformed(f"event: {event!r} is not a URN")
    stream_id = item.get("stream_id")
    if not isinstance(stream_id, str) or not STREAM_ID.fullmatch(stream_id):
        raise Malformed(f"stream_id: {stream_id!r} is not allowed")
    status = item.get("status")
    if status not in STATUSES:
        raise Malformed(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    url = item.get("url")
    if url is not None or status in OFFERED:
        if not isinstance(url, str) or len(url) > 500:
            raise Malformed("url must be a string")
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise Malformed(f"url: {url[:100]!r} is not an https URL")
    start_ms = item.get("start_ms")
    if not _int(start_ms):
        raise Malformed(f"start_ms: {start_ms!r} is not a timestamp in ms")
    return Stream(
        event=event,
        stream_id=stream_id,
        status=status,
        url=url,
        start_ms=start_ms,
        quality=_strings(item, "quality", QUALITY, required=True),
        geo_blocked=_strings(item, "geo_blocked", COUNTRY, required=False),
    )


def parse_listing(raw: bytes) -> Listing:
    """A whole ``GET /v1/streams`` body. Raises ``Malformed`` for a body that cannot be used;
    entries that break a rule (or name an event a second time) are listed in ``rejected``."""
    if len(raw) > MAX_BODY_BYTES:
        raise Malformed(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Malformed("the body must be an object")
    generated_at = body.get("generated_at")
    if not _int(generated_at):
        raise Malformed(f"generated_at: {generated_at!r} is not a timestamp in ms")
    items = body.get("streams")
    if not isinstance(items, list):
        raise Malformed("streams must be a list")
    streams: list[Stream] = []
    rejected: list[tuple[int, str]] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        try:
            stream = parse_stream(item)
        except Malformed as exc:
            rejected.append((position, str(exc)))
            continue
        if stream.event in seen:
            rejected.append((position, f"event {stream.event} listed twice"))
            continue
        seen.add(stream.event)
        streams.append(stream)
    return Listing(
        generated_at=generated_at, streams=streams, entries=len(items), rejected=rejected
    )


def listing_body(generated_at: int, entries: list[dict[str, Any]]) -> bytes:
    """A ``GET /v1/streams`` body (the simulator's side)."""
    return json.dumps({"generated_at": generated_at, "streams": entries}).encode()
