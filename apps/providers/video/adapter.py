"""The video adapter: polls a video provider's stream listing into ``Event.video``.

Every ``poll_s`` seconds it asks ``GET <api_url>/v1/streams`` (with ``If-None-Match``, so an
unchanged listing costs a 304 and no parsing) and reconciles the catalog with the last listing it
got: an event with a scheduled or live stream gets the stream's metadata, an event whose stream
ended or is no longer listed gets ``None``. Only events of the catalog are touched (URNs it does not
know are counted in ``Provider.unknown_event``), only rows whose value changes are written, and
only this provider's streams are cleared (``video["provider"]`` names the provider). Each changed
event's open pages are told to re-read.

Entries that break the protocol are counted in ``Provider.malformed`` and skipped; a body that
cannot be used at all is counted once and changes nothing. When the provider cannot be reached
(or refuses the token), the adapter logs one warning for the outage, keeps polling and keeps the
last known streams: a provider briefly down does not take every video off the site.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from threading import Event as StopFlag
from typing import Any

from django.db import DatabaseError, close_old_connections, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.catalog.models import Event
from apps.providers.models import Provider
from apps.providers.outbound import provider_open, provider_token
from apps.providers.video.protocol import (
    MAX_BODY_BYTES,
    PATH,
    TOKEN_HEADER,
    Malformed,
    Stream,
    parse_listing,
)
from apps.realtime.odds import publish_refresh

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The provider did not answer with a listing (unreachable, refused, server error)."""


@dataclass
class PollResult:
    outcome: str  # "listing", "not_modified", "malformed", "unavailable"
    entries: int = 0
    changed: int = 0
    malformed: int = 0
    unknown_event: int = 0


class VideoAdapter:
    def __init__(self, provider: Provider, *, timeout: float = 5.0) -> None:
        self.provider = provider
        self.name = provider.name
        self.url = provider.api_url.rstrip("/") + PATH
        self.timeout = timeout
        self.etag: str | None = None
        # The last listing received: offered streams by event URN, and every URN listed.
        self.offered: dict[str, Stream] | None = None
        self.listed: set[str] = set()
        self.trouble: str | None = None  # why the provider is unavailable, while it is
        self.db_trouble = False

    # -- one poll ----------------------------------------------------------------------------

    def poll_once(self) -> PollResult:
        """Ask the provider once, apply what changed, record the provider's status."""
        counts: Counter[str] = Counter()
        answered_at = None
        lag_ms = None
        fresh = False
        try:
            status, raw, etag = self._fetch()
        except Unavailable as exc:
            self._unavailable(str(exc))
            result = PollResult("unavailable")
        else:
            answered_at = timezone.now()
            if status == 304:
                self._available()
                result = PollResult("not_modified")
            else:
                try:
                    listing = parse_listing(raw)
                except Malformed as exc:
                    counts["malformed"] += 1
                    self.etag = None
                    self._unavailable(f"unusable body: {exc}")
                    answered_at = None
                    result = PollResult("malformed", malformed=1)
                else:
                    self._available()
                    fresh = True
                    self.offered = {s.event: s for s in listing.streams if s.offered}
                    self.listed = {s.event for s in listing.streams}
                    self.etag = None  # kept only once the listing is applied
                    counts["messages"] += listing.entries
                    counts["malformed"] += len(listing.rejected)
                    lag_ms = int(time.time() * 1000) - listing.generated_at
                    for position, reason in listing.rejected:
                        log.debug(
                            "video entry skipped", extra={"position": position, "reason": reason}
                        )
                    result = PollResult(
                        "listing", entries=listing.entries, malformed=len(listing.rejected)
                    )
        if self.offered is not None:
            result.changed, unknown = self._apply(count_unknown=fresh)
            counts["unknown_event"] += unknown
            result.unknown_event = unknown
            if fresh:
                self.etag = etag
        self._save_status(counts, answered_at=answered_at, lag_ms=lag_ms)
        return result

    def _fetch(self) -> tuple[int, bytes, str | None]:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})  # noqa: S310
        token = provider_token(self.provider)
        if token:
            request.add_header(TOKEN_HEADER, token)
        if self.etag:
            request.add_header("If-None-Match", self.etag)
        try:
            with provider_open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_BODY_BYTES + 1)
                return response.status, raw, response.headers.get("ETag")
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 304:
                return 304, b"", self.etag
            if exc.code in (401, 403):
                raise Unavailable(f"token refused (HTTP {exc.code})") from exc
            raise Unavailable(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise Unavailable(str(getattr(exc, "reason", exc)) or repr(exc)) from exc

    # -- the catalog -------------------------------------------------------------------------

    def _apply(self, *, count_unknown: bool) -> tuple[int, int]:
        """Reconcile the catalog with the last listing: (events changed, URNs unknown)."""
        offered = self.offered or {}
        rows = list(
            Event.objects.filter(Q(urn__in=sorted(self.listed)) | Q(video__provider=self.name))
            .values_list("id", "urn", "video")
            .order_by("id")
        )
        changes: list[tuple[int, dict[str, Any] | None]] = []
        for event_id, urn, current in rows:
            if isinstance(current, dict) and current.get("provider") not in (None, self.name):
                continue  # another provider's stream: not ours to replace or clear
            stream = offered.get(urn)
            wanted = stream.metadata(self.name) if stream is not None else None
            if current != wanted:
                changes.append((event_id, wanted))
        unknown = len(self.listed - {urn for _id, urn, _video in rows}) if count_unknown else 0
        if changes:
            now = timezone.now()
            with transaction.atomic():
                for event_id, wanted in changes:
                    Event.objects.filter(pk=event_id).update(video=wanted, updated_at=now)
            try:
                publish_refresh(event_id for event_id, _wanted in changes)
            except Exception as exc:  # pages see the stream on their next read
                log.warning("pages not told of new streams", extra={"error": repr(exc)})
            log.info("video streams changed", extra={"provider": self.name, "events": len(changes)})
        return len(changes), unknown

    def _save_status(self, counts: Counter[str], *, answered_at: Any, lag_ms: int | None) -> None:
        fields: dict[str, Any] = {"running": True, "heartbeat_at": timezone.now()}
        for key in ("messages", "malformed", "unknown_event"):
            if counts[key]:
                fields[key] = F(key) + counts[key]
        if answered_at is not None:
            fields["last_message_at"] = answered_at
        if lag_ms is not None:
            fields["lag_ms"] = lag_ms
        Provider.objects.filter(pk=self.provider.pk).update(**fields)

    # -- outages -----------------------------------------------------------------------------

    def _unavailable(self, reason: str) -> None:
        if self.trouble is None:
            log.warning(
                "video provider %s unavailable (%s); keeping its last known streams",
                self.name,
                reason,
                extra={"provider": self.name, "url": self.url, "reason": reason},
            )
        self.trouble = reason

    def _available(self) -> None:
        if self.trouble is not None:
            log.warning(
                "video provider %s answers again",
                self.name,
                extra={"provider": self.name, "outage": self.trouble},
            )
            self.trouble = None

    def poll_guarded(self) -> PollResult | None:
        """``poll_once`` for the loop: a database error is logged (once per outage) and the
        next poll tries again."""
        close_old_connections()
        try:
            result = self.poll_once()
        except DatabaseError as exc:
            if not self.db_trouble:
                log.warning(
                    "video adapter cannot reach the database",
                    extra={"provider": self.name, "error": repr(exc)},
                )
            self.db_trouble = True
            self.etag = None  # the listing may not be applied: fetch it whole next time
            close_old_connections()
            return None
        self.db_trouble = False
        return result


def run(provider: Provider, *, stop: StopFlag, poll_s: float = 2.0) -> None:
    """Poll ``provider`` every ``poll_s`` seconds until ``stop`` is set."""
    adapter = VideoAdapter(provider, timeout=max(1.0, min(5.0, poll_s * 2)))
    Provider.objects.filter(pk=provider.pk).update(running=True, heartbeat_at=timezone.now())
    log.info("video provider polling", extra={"provider": provider.name, "url": adapter.url})
    try:
        while not stop.is_set():
            started = time.monotonic()
            adapter.poll_guarded()
            stop.wait(max(0.0, poll_s - (time.monotonic() - started)))
    finally:
        with contextlib.suppress(DatabaseError):
            Provider.objects.filter(pk=provider.pk).update(running=False)
        connections.close_all()  # this thread's connections: the loop may have run in its own
