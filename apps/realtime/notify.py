"""Push a message to a player's open sockets, after the transaction that caused it commits.

Pushes leave the calling thread at once: a per-process background thread runs one event loop
with the channel layer (and so one Redis connection pool), and the hot paths (a wallet posting,
a bet) only hand it the message. A push is a hint to refresh, delivered at most once: a page
that missed one reads the state again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from apps.realtime.groups import player_group

EVENT_TYPE = "player.event"
log = logging.getLogger(__name__)


class _Pusher:
    """A queue drained by one background thread running the channel layer's event loop.

    The caller only puts the message on the queue; the thread sends whatever has queued up.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue | None = None
        self._pid = 0

    def _running_queue(self) -> queue.SimpleQueue:
        with self._lock:
            if self._queue is None or self._pid != os.getpid():  # new process (a forked worker)
                pending: queue.SimpleQueue = queue.SimpleQueue()
                threading.Thread(target=_drain, args=(pending,), name="push", daemon=True).start()
                self._queue, self._pid = pending, os.getpid()
            return self._queue

    def send(self, group: str, message: dict[str, Any]) -> None:
        self._running_queue().put((group, message))


def _drain(pending: queue.SimpleQueue) -> None:
    """The push thread: wait for messages, send what has queued up, on one event loop."""
    loop = asyncio.new_event_loop()
    layer = get_channel_layer()
    while True:
        batch = [pending.get()]
        with contextlib.suppress(queue.Empty):
            while len(batch) < 500:
                batch.append(pending.get_nowait())
        loop.run_until_complete(_send(layer, batch))


async def _send(layer: Any, batch: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in batch:
        try:
            await layer.group_send(group, message)
        except Exception as exc:  # a push is a hint: log it and go on with the next
            log.warning("push failed", extra={"group": group, "error": repr(exc)})


_pusher = _Pusher()


def send_now(*, brand_id: int, player_id: int, message: dict[str, Any]) -> None:
    _pusher.send(
        player_group(brand_id=brand_id, player_id=player_id),
        {"type": EVENT_TYPE, "message": message},
    )


def player_notify(*, using: str, brand_id: int, player_id: int, message: dict[str, Any]) -> None:
    """Deliver ``message`` to the player's sockets once the transaction on ``using`` commits
    (immediately when no transaction is open); nothing is sent if it rolls back."""
    transaction.on_commit(
        lambda: send_now(brand_id=brand_id, player_id=player_id, message=message), using=using
    )


CLOSE_TYPE = "player.close"
ACCOUNT_CLOSED_CODE = 4003  # the socket's close code when the account was blocked or closed


def player_disconnect(*, brand_id: int, player_id: int, status: str) -> None:
    """Close the player's open sockets now (their account was blocked or closed): each socket
    sends ``{"type": "account", "status": status}`` and closes with code 4003. Sent at once; the
    account's change must have committed before (its sessions are gone already)."""
    _pusher.send(
        player_group(brand_id=brand_id, player_id=player_id),
        {"type": CLOSE_TYPE, "status": status},
    )
