"""Live odds pushes: coalesced per event and published on the event's Redis channel.

The catalog hands each committed batch's changed lines and statuses to a ``Coalescer`` (one per
adapter process). The first change of an event is published at once; later ones within
``interval`` are merged (the newest state of each line wins) and published together when the
interval ends, so a busy event costs its sockets at most one push per interval. The live-odds
gateway (``realtime.gateway``) subscribes to an event's channel while it has sockets on it.

A push is one JSON message: ``{"type": "catalog.odds", "event", "ts", "status", "markets",
"refresh"}``. What a line or a status holds is the catalog's (as its odds cache keeps them);
here they are only merged by their key and timestamp. A ``refresh`` push (a producer went down
or came back, the desk acted, a video appeared) tells the pages to re-read the whole event.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import redis
from django.conf import settings

from betting import redis_clients

log = logging.getLogger(__name__)

PUSH_TYPE = "catalog.odds"
DEFAULT_INTERVAL_S = 0.1
QUIET_EVENTS_MAX = 50_000  # events remembered for their interval before quiet ones are dropped


class LinePush(NamedTuple):
    """A market line's new state, as pushed."""

    event_id: int
    key: Hashable  # the line within its event
    ts: int  # the provider's timestamp of this state
    item: Any  # what the push carries for it


class StatusPush(NamedTuple):
    """An event's new status and score, as pushed."""

    event_id: int
    ts: int
    item: Any


def odds_channel(event_id: int) -> str:
    """The Redis pub/sub channel an event's pushes are published on (the gateway listens)."""
    return f"{settings.REDIS_PREFIX}:catalog:odds:{event_id}"


_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis_clients.connect(socket_timeout=2, socket_connect_timeout=2)
    return _client


def publish_refresh(event_ids: Iterable[int]) -> None:
    """Tell the open pages of these events to re-read them (the desk acted, a video changed)."""
    for event_id in set(event_ids):
        message = {
            "type": PUSH_TYPE,
            "event": event_id,
            "ts": 0,
            "status": None,
            "markets": [],
            "refresh": True,
        }
        _redis().publish(odds_channel(event_id), json.dumps(message))


@dataclass(slots=True)
class _Pending:
    """An event's changes waiting for its interval to end."""

    lines: dict[Hashable, LinePush] = field(default_factory=dict)
    status: StatusPush | None = None
    ts: int = 0
    refresh: bool = False


class Coalescer:
    """Per-event push throttle: leading edge at once, then at most one push per interval."""

    def __init__(self, interval: float = DEFAULT_INTERVAL_S) -> None:
        self.interval = interval
        self._pending: dict[int, _Pending] = {}
        self._last: dict[int, float] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="live-odds", daemon=True)
        self._thread.start()

    def add(self, *, lines: Iterable[LinePush], statuses: Iterable[StatusPush]) -> None:
        """A committed batch's changes: each replaces an older pending state of its line."""
        with self._cond:
            for line in lines:
                entry = self._entry(line.event_id)
                old = entry.lines.get(line.key)
                if old is None or old.ts <= line.ts:
                    entry.lines[line.key] = line
                entry.ts = max(entry.ts, line.ts)
            for status in statuses:
                entry = self._entry(status.event_id)
                if entry.status is None or entry.status.ts <= status.ts:
                    entry.status = status
                entry.ts = max(entry.ts, status.ts)
            self._cond.notify()

    def refresh(self, event_ids: Iterable[int]) -> None:
        """Tell the sockets of these events to re-read (a producer went down or came back)."""
        with self._cond:
            for event_id in event_ids:
                self._entry(event_id).refresh = True
            self._cond.notify()

    def _entry(self, event_id: int) -> _Pending:
        entry = self._pending.get(event_id)
        if entry is None:
            entry = self._pending[event_id] = _Pending()
        return entry

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            due: list[tuple[int, _Pending]] = []
            with self._cond:
                if self._stopped:
                    return
                now = time.monotonic()
                wait = None
                for event_id in list(self._pending):
                    ready_at = self._last.get(event_id, 0.0) + self.interval
                    if ready_at <= now:
                        due.append((event_id, self._pending.pop(event_id)))
                        self._last[event_id] = now
                    else:
                        wait = ready_at - now if wait is None else min(wait, ready_at - now)
                if not due:
                    self._cond.wait(timeout=wait if wait is not None else 1.0)
                    continue
            for event_id, entry in due:
                self._push(event_id, entry)
            if len(self._last) > QUIET_EVENTS_MAX:  # forget events long quiet
                cutoff = time.monotonic() - 60
                self._last = {k: v for k, v in self._last.items() if v > cutoff}

    def _push(self, event_id: int, entry: _Pending) -> None:
        message = {
            "type": PUSH_TYPE,
            "event": event_id,
            "ts": entry.ts,
            "status": entry.status.item if entry.status is not None else None,
            "markets": [line.item for line in entry.lines.values()],
            "refresh": entry.refresh,
        }
        try:
            _redis().publish(odds_channel(event_id), json.dumps(message, separators=(",", ":")))
        except redis.RedisError as exc:  # a push is a hint: pages re-read on their next refresh
            log.warning("push not published", extra={"event": event_id, "error": repr(exc)})
