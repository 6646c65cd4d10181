"""Producer liveness and recovery, as the UOF asks of a consumer.

Each producer sends ``alive`` every 10 s. No ``alive`` for ``alive_timeout`` seconds, an
``alive`` with ``subscribed=0`` or a ``product_down`` means the producer is down: its markets
close at once (on the catalog's pages and on every shard's replica). The next ``alive`` starts a
recovery: the provider's API is asked to replay everything after the last message we applied
(a full replay when that is older than the producer's recovery window); the markets reopen only
at the ``snapshot_complete`` carrying our request id. An adapter starting up treats every
producer as down and recovers it the same way.

Without a recovery API (a feed that cannot replay), a producer reopens at its next ``alive``.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.catalog import live
from apps.catalog.store import next_version, replicate_producer
from apps.providers.models import Producer, Provider
from apps.providers.outbound import provider_open, provider_token
from shards.map import GLOBAL_ALIAS

log = logging.getLogger(__name__)

ALIVE_TIMEOUT_S = 20.0
RECOVERY_RETRY_S = 300.0
RECOVERY_REQUEST_TIMEOUT_S = 5.0
KNOWN = {1: ("LO", "liveodds"), 3: ("Ctrl", "pre"), 4: ("BetPal", "betpal")}


@dataclass
class State:
    producer_id: int
    api_name: str
    state: str  # up, down, recovering
    last_alive: float | None = None  # monotonic
    request_id: int | None = None
    recovery_started: float | None = None
    window_ms: int = 180 * 60_000
    last_processed_ts: int = 0
    recover_after: int = 0  # the last message applied before the producer went down


class Producers:
    def __init__(
        self,
        provider: Provider,
        *,
        alive_timeout: float = ALIVE_TIMEOUT_S,
        on_change: Callable[[int, bool], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.alive_timeout = alive_timeout
        self.on_change = on_change
        self.clock = clock
        self.states: dict[int, State] = {}
        self._next_request = int(time.time() * 1000) % 1_000_000_000

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Every enabled producer starts down, and recovers at its first ``alive``."""
        for row in Producer.objects.filter(provider=self.provider, enabled=True):
            state = self.states[row.producer_id] = State(
                producer_id=row.producer_id,
                api_name=row.api_name,
                state="up",
                window_ms=row.recovery_window_min * 60_000,
                last_processed_ts=row.last_processed_ts,
            )
            gap_open = row.state != "up" and row.recover_after_ts
            self._down(row.producer_id, "adapter started")
            if gap_open:  # it was already down before this start: the gap began back then
                state.recover_after = min(row.recover_after_ts, state.recover_after)
                self._save(state, "down", "adapter started")

    def known(self, producer_id: int) -> State:
        """The producer's state; one seen for the first time is recorded (and starts down)."""
        state = self.states.get(producer_id)
        if state is None:
            name, api_name = KNOWN.get(producer_id, (f"producer {producer_id}", str(producer_id)))
            row, _ = Producer.objects.get_or_create(
                provider=self.provider,
                producer_id=producer_id,
                defaults={"name": name, "api_name": api_name},
            )
            state = State(
                producer_id=producer_id,
                api_name=row.api_name,
                state="up",
                window_ms=row.recovery_window_min * 60_000,
                last_processed_ts=row.last_processed_ts,
            )
            self.states[producer_id] = state
            self._down(producer_id, "first seen")
        return state

    def processed(self, producer_id: int, ts: int) -> None:
        state = self.known(producer_id)
        state.last_processed_ts = max(state.last_processed_ts, ts)

    # -- system messages ---------------------------------------------------------------------

    def alive(self, producer_id: int, *, subscribed: bool) -> None:
        state = self.known(producer_id)
        now = self.clock()
        state.last_alive = now
        Producer.objects.filter(provider=self.provider, producer_id=producer_id).update(
            last_alive_at=timezone.now()
        )
        if not subscribed:
            self._down(producer_id, "alive with subscribed=0")
            return
        if state.state == "down":
            self._recover(state)
        elif state.state == "recovering" and now - (state.recovery_started or 0) > RECOVERY_RETRY_S:
            self._recover(state)  # the snapshot never came: ask again

    def product_down(self, producer_id: int) -> None:
        self._down(producer_id, "product_down")

    def snapshot_complete(self, producer_id: int, request_id: int | None) -> bool:
        """The replay asked for is complete: the producer is up. False for another request."""
        state = self.known(producer_id)
        if state.state != "recovering" or request_id is None or request_id != state.request_id:
            log.info(
                "snapshot_complete ignored",
                extra={"producer": producer_id, "request_id": request_id},
            )
            return False
        self._up(producer_id, "snapshot complete")
        return True

    def tick(self) -> None:
        """Called about once a second: a producer silent for too long goes down."""
        now = self.clock()
        for state in self.states.values():
            if state.state == "down":
                continue
            if state.last_alive is None:
                state.last_alive = now  # counting starts when we start listening
            elif now - state.last_alive > self.alive_timeout:
                self._down(state.producer_id, f"no alive for {self.alive_timeout:g} s")

    def is_up(self, producer_id: int) -> bool:
        state = self.states.get(producer_id)
        return state is not None and state.state == "up"

    # -- transitions -------------------------------------------------------------------------

    def _recover(self, state: State) -> None:
        if not self.provider.api_url:
            self._up(state.producer_id, "alive (no recovery API)")
            return
        self._next_request += 1
        state.request_id = self._next_request
        state.recovery_started = self.clock()
        after = state.recover_after
        too_old = after and int(time.time() * 1000) - after > state.window_ms
        params = {"request_id": state.request_id}
        if after and not too_old:
            params["after"] = after
        if self.provider.node_id:
            params["node_id"] = self.provider.node_id
        url = (
            f"{self.provider.api_url.rstrip('/')}/v1/{state.api_name}/recovery/initiate_request?"
            + urllib.parse.urlencode(params)
        )
        self._save(state, "recovering", "recovery requested", recovery=True)
        request = urllib.request.Request(url, method="POST", data=b"")  # noqa: S310
        token = provider_token(self.provider)
        if token:
            request.add_header("x-access-token", token)
        try:
            with provider_open(request, timeout=RECOVERY_REQUEST_TIMEOUT_S) as response:
                response.read()
            log.info(
                "recovery requested",
                extra={
                    "producer": state.producer_id,
                    "request_id": state.request_id,
                    "after": params.get("after"),
                },
            )
        except (urllib.error.URLError, OSError) as exc:
            log.warning(
                "recovery request failed", extra={"producer": state.producer_id, "error": str(exc)}
            )
            self._save(state, "down", f"recovery request failed: {exc}"[:100])

    def _down(self, producer_id: int, reason: str) -> None:
        state = self.states[producer_id]
        was_open = state.state == "up"
        if was_open:
            # Messages applied from now on may follow a gap: recovery replays from here.
            state.recover_after = state.last_processed_ts
        self._save(state, "down", reason)
        if was_open:
            log.warning("producer down", extra={"producer": producer_id, "reason": reason})
            self._publish(producer_id, down=True)

    def _up(self, producer_id: int, reason: str) -> None:
        state = self.states[producer_id]
        self._save(state, "up", reason)
        log.info("producer up", extra={"producer": producer_id, "reason": reason})
        self._publish(producer_id, down=False)

    def _save(self, state: State, new: str, reason: str, *, recovery: bool = False) -> None:
        state.state = new
        fields = {
            "state": new,
            "reason": reason[:100],
            "changed_at": timezone.now(),
            "recover_after_ts": state.recover_after,
        }
        if recovery:
            fields["recovery_request_id"] = state.request_id
            fields["recovery_started_at"] = timezone.now()
        Producer.objects.filter(provider=self.provider, producer_id=state.producer_id).update(
            **fields
        )

    def _publish(self, producer_id: int, *, down: bool) -> None:
        with transaction.atomic(using=GLOBAL_ALIAS):
            replicate_producer(
                provider=self.provider.name,
                producer=producer_id,
                down=down,
                version=next_version(),
            )
        try:
            live.set_producer(self.provider.name, producer_id, down=down)
        except Exception as exc:  # the cache is a convenience; the replicas carry the truth
            log.warning("producer cache not updated", extra={"error": repr(exc)})
        if self.on_change is not None:
            self.on_change(producer_id, down)
