"""Push a message to a player's open sockets, after the transaction that caused it commits.

Pushes leave the calling thread at once: a per-process background thread runs one event loop
with the channel layer (and so one Redis connection pool), and the hot paths (a wallet posting,
a bet) only hand it the message. A push is a hint to refresh, delivered at most once: a page
that missed one reads the state again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import Future
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from apps.realtime.groups import player_group

EVENT_TYPE = "player.event"
log = logging.getLogger(__name__)


class _Pusher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # new process (a forked worker)
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="push", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def send(self, group: str, message: dict[str, Any]) -> Future:
        future = asyncio.run_coroutine_threadsafe(
            get_channel_layer().group_send(group, message), self._running_loop()
        )
        future.add_done_callback(_log_failure)
        return future


def _log_failure(future: Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("push failed", extra={"error": repr(future.exception())})


_pusher = _Pusher()


def send_now(*, brand_id: int, player_id: int, message: dict[str, Any]) -> Future:
    return _pusher.send(
        player_group(brand_id=brand_id, player_id=player_id),
        {"type": EVENT_TYPE, "message": message},
    )


def player_notify(*, using: str, brand_id: int, player_id: int, message: dict[str, Any]) -> None:
    """Deliver ``message`` to the player's sockets once the transaction on ``using`` commits
    (immediately when no transaction is open); nothing is sent if it rolls back."""
    transaction.on_commit(
        lambda: send_now(brand_id=brand_id, player_id=player_id, message=message), using=using
    )
