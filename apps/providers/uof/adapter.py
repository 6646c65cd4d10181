"""The UOF adapter: one consumer process per provider (``manage.py run_provider <name>``).

It consumes the provider's ``unifiedfeed`` topic exchange through its own durable queue
(``provider.<name>``), so messages published while it is down or restarting wait for it. Messages
are applied in batches: up to ``batch_max`` messages or ``batch_wait`` seconds, parsed, turned into
catalog changes and written in one transaction together with their replication to the shards and
the producers' last processed timestamps; only then are they acknowledged. A crash before the
acknowledgement redelivers the batch, and the timestamp guards and the results' unique keys make
the second application change nothing, so no settlement is lost or applied twice. Once the
transaction commits, the batch itself writes the changes to the odds cache and hands them to the
adapter's coalesced pushes.

System messages (alive, snapshot_complete, product_down) are handled in order after the messages
before them are committed, so a ``snapshot_complete`` reopens markets only once the replay it
ends is in the catalog.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone
from kombu import Connection, Consumer, Exchange, Queue, binding

from apps.catalog.fixtures import event_from_fixture
from apps.catalog.models import Event, Market, MarketDescription
from apps.catalog.store import FeedBatch
from apps.providers.models import Provider
from apps.providers.outbound import provider_token
from apps.providers.uof import messages as m
from apps.providers.uof.fixtures_api import fetch_fixture
from apps.providers.uof.producers import ALIVE_TIMEOUT_S, Producers
from apps.providers.uof.translate import Context, KnownEvent, Translator
from apps.realtime.odds import DEFAULT_INTERVAL_S, Coalescer
from shards import queues
from shards.map import GLOBAL_ALIAS

log = logging.getLogger(__name__)

BATCH_MAX = 1000
BATCH_ATTEMPTS = 3
BATCH_WAIT_S = 0.05
IDLE_POLL_S = 0.002  # no message for this long: nothing more is waiting, apply the batch
PREFETCH = 4000
UNKNOWN_EVENT_RETRY_S = 30.0
REDIS_VISIBILITY_S = 10
COUNTERS = ("malformed", "unknown_event", "unknown_market", "disabled_sport")
# A message skipped because applying it kept failing (the database up) counts as malformed.


def feed_queue(provider: Provider) -> Queue:
    # A feed through the platform's broker (a simulator's, a relay's) is this installation's, so
    # its exchange carries the namespace; a provider's own broker (``broker_url_env``) names its
    # exchange itself.
    if provider.broker_url_env:
        exchange = Exchange(provider.exchange, type="topic", durable=True)
    else:
        exchange = queues.feed_exchange(provider.exchange)
    patterns = provider.bindings or ["#"]
    bindings = [binding(exchange, routing_key=p) for p in patterns]
    if provider.broker_url_env:
        # Another party's broker: its queue types are its own affair.
        return Queue(queues.broker_name(provider.queue_name), bindings=bindings, durable=True)
    return queues.durable_queue(queues.broker_name(provider.queue_name), bindings)


class EventDirectory:
    """Event URN -> catalog event: memory, then the catalog, then the provider's fixture API."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self._known: dict[str, KnownEvent] = {}
        self._missing: dict[str, float] = {}

    def __call__(self, urn: str) -> KnownEvent | None:
        known = self._known.get(urn)
        if known is not None:
            return known
        missing_since = self._missing.get(urn)
        if missing_since is not None and time.monotonic() - missing_since < UNKNOWN_EVENT_RETRY_S:
            return None
        row = Event.objects.filter(urn=urn).values_list("id", "sport__urn").first()
        if row is None:
            event = self._from_api(urn)
            row = (event.id, event.sport.urn) if event is not None else None
        if row is None:
            self._missing[urn] = time.monotonic()
            return None
        self._missing.pop(urn, None)
        event_id, sport_urn = row
        known = self._known[urn] = KnownEvent(id=event_id, sport_urn=sport_urn)
        return known

    def _from_api(self, urn: str) -> Event | None:
        if not self.provider.api_url:
            return None
        try:
            fixture = fetch_fixture(
                self.provider.api_url,
                urn,
                provider=self.provider.name,
                token=provider_token(self.provider),
            )
        except (m.MalformedMessage, OSError) as exc:
            log.warning("fixture not fetched", extra={"event": urn, "error": str(exc)})
            return None
        return event_from_fixture(fixture) if fixture is not None else None


class _Delivered:
    """A message handed to :meth:`UofAdapter.process` rather than by the broker."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.delivery_info: dict[str, Any] = {}

    def ack(self) -> None:
        return None


class UofAdapter:
    def __init__(
        self,
        provider: Provider,
        *,
        broker_url: str,
        stop: threading.Event,
        batch_max: int = BATCH_MAX,
        batch_wait: float = BATCH_WAIT_S,
        alive_timeout: float = ALIVE_TIMEOUT_S,
        push_interval: float = DEFAULT_INTERVAL_S,
        on_ready: Callable[[str], None] | None = None,
    ) -> None:
        self.provider = provider
        self.on_ready = on_ready
        self.broker_url = broker_url
        self.stop = stop
        self.batch_max = batch_max
        self.batch_wait = batch_wait
        self.events = EventDirectory(provider)
        self.coalescer = Coalescer(interval=push_interval)
        self.producers = Producers(
            provider, alive_timeout=alive_timeout, on_change=self._producer_changed
        )
        self.context = Context(
            resolve_event=self.events,
            market_groups={
                d.market_id: frozenset(d.groups) for d in MarketDescription.objects.all()
            },
            enabled_sports=frozenset(provider.enabled_sports or ()),
        )
        self.counts: Counter[str] = Counter()
        self._buffer: list[Any] = []
        self._first_at = 0.0
        self._last_message_at = None
        self._lag_ms: int | None = None
        self._last_tick = 0.0
        self._multiple_ack = False

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        self.producers.start()
        Provider.objects.filter(pk=self.provider.pk).update(running=True)
        try:
            while not self.stop.is_set():
                try:
                    self._consume()
                except (OSError, ConnectionError) as exc:
                    if self.stop.is_set():
                        break
                    log.warning("feed connection lost; reconnecting", extra={"error": repr(exc)})
                    self._buffer.clear()  # unacknowledged: the broker redelivers them
                    self.stop.wait(1.0)
        finally:
            self.coalescer.stop()
            Provider.objects.filter(pk=self.provider.pk).update(running=False)

    def _consume(self) -> None:
        # On a Redis broker (development), messages a killed adapter held come back after the
        # visibility timeout; RabbitMQ requeues them when the connection drops.
        options = {"visibility_timeout": REDIS_VISIBILITY_S}
        with Connection(self.broker_url, heartbeat=30, transport_options=options) as conn:
            conn.ensure_connection(max_retries=3)
            channel = conn.channel()
            channel.basic_qos(0, PREFETCH, False)  # size, count, global (AMQP and Redis alike)
            queue = feed_queue(self.provider)(channel)
            queue.declare()
            consumer = Consumer(channel, queues=[queue], on_message=self._received, no_ack=False)
            consumer.consume()
            log.info("feed consumer started", extra={"queue": queue.name})
            if self.on_ready is not None:
                self.on_ready(queue.name)
            self._multiple_ack = conn.transport.driver_type == "amqp"
            while not self.stop.is_set():
                # Busy: keep taking messages until the batch is full or old enough. Idle (nothing
                # more waiting): apply what has come at once, so a lone message is not held.
                try:
                    conn.drain_events(timeout=IDLE_POLL_S if self._buffer else self.batch_wait)
                except TimeoutError:
                    self._flush()
                else:
                    self._maybe_flush()
                self._periodic()
            self._flush()

    def _received(self, message: Any) -> None:
        if not self._buffer:
            self._first_at = time.monotonic()
        self._buffer.append(message)
        if len(self._buffer) >= self.batch_max:
            self._flush()

    def _maybe_flush(self) -> None:
        if self._buffer and time.monotonic() - self._first_at >= self.batch_wait:
            self._flush()

    def _periodic(self) -> None:
        now = time.monotonic()
        if now - self._last_tick < 1.0:
            return
        self._last_tick = now
        close_old_connections()
        self.producers.tick()
        self._save_stats()

    # -- applying a batch --------------------------------------------------------------------

    def process(self, bodies: list[bytes]) -> None:
        """Apply raw feed messages as if they had just arrived (a replay, a test)."""
        self._buffer.extend(_Delivered(body) for body in bodies)
        self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        received, self._buffer = self._buffer, []
        pending: list[tuple[Any, m.Message]] = []
        for message in received:
            parsed = self._parse(message)
            if parsed is None:
                continue
            if isinstance(parsed, m.EventMessage):
                pending.append((message, parsed))
                continue
            # A system message: what came before it is committed first.
            self._apply(pending)
            pending = []
            self._system(parsed)
            message.ack()
        self._apply(pending)

    def _parse(self, message: Any) -> m.Message | None:
        self.counts["messages"] += 1
        try:
            parsed = m.parse(message.body)
        except m.MalformedMessage as exc:
            self.counts["malformed"] += 1
            log.warning(
                "malformed message skipped",
                extra={"routing_key": message.delivery_info.get("routing_key"), "error": str(exc)},
            )
            message.ack()
            return None
        self._lag_ms = int(time.time() * 1000) - parsed.timestamp
        self._last_message_at = timezone.now()
        return parsed

    def _apply(self, pending: list[tuple[Any, m.Message]]) -> None:
        if not pending:
            return
        failures = 0
        while True:
            try:
                self._guarded([p for _, p in pending])
                break
            except Exception as exc:
                failures += 1
                log.exception("feed batch failed", extra={"attempt": failures, "error": repr(exc)})
                if failures >= BATCH_ATTEMPTS:
                    break
                self._pause(failures, exc)
        if failures < BATCH_ATTEMPTS:
            self._ack([message for message, _ in pending])
            return
        # The batch keeps failing for a reason a retry does not cure: one message is at fault.
        # Apply them one by one; only a message that fails on its own is skipped, counted and
        # logged.
        for message, parsed in pending:
            for attempt in range(BATCH_ATTEMPTS):
                try:
                    self._guarded([parsed])
                    break
                except Exception as exc:
                    if attempt + 1 == BATCH_ATTEMPTS:
                        self.counts["malformed"] += 1
                        log.exception("message skipped after repeated failures")
                        break
                    self._pause(attempt + 1, exc)
            message.ack()

    def _ack(self, messages: list[Any]) -> None:
        """Acknowledge applied messages: on AMQP one frame for the lot (every earlier delivery is
        acknowledged already), elsewhere one by one."""
        if self._multiple_ack:
            messages[-1].ack(multiple=True)
            return
        for message in messages:
            message.ack()

    def _guarded(self, parsed: list[m.Message]) -> None:
        """Apply, retrying for as long as the database reports an operational problem (down,
        restarting, a lost connection, a deadlock, a time-out): nothing is acknowledged and
        nothing skipped meanwhile, and the provider's lag shows the stall. Only errors a retry
        cannot cure (bad data, a bug) reach the caller."""
        attempt = 0
        while True:
            try:
                self._apply_once(parsed)
                return
            except (OperationalError, InterfaceError) as exc:
                attempt += 1
                log.error(
                    "database unavailable for the feed; retrying",
                    extra={"attempt": attempt, "error": repr(exc)},
                )
                self._pause(attempt, exc)

    def _pause(self, attempt: int, exc: Exception) -> None:
        connections[GLOBAL_ALIAS].close()
        if self.stop.wait(min(5.0, 0.2 * 2**attempt)):
            # Stopping: the batch stays unacknowledged and comes back to the next adapter.
            raise ConnectionError("stopping with an unapplied batch") from exc

    def _apply_once(self, parsed: list[m.Message]) -> None:
        batch = FeedBatch(pushes=self.coalescer)
        translator = Translator(self.context)
        newest: dict[int, int] = {}
        for message in parsed:
            self.producers.known(message.product)
            translator.add(message, batch)
            newest[message.product] = max(newest.get(message.product, 0), message.timestamp)
        with transaction.atomic(using=GLOBAL_ALIAS):
            batch.commit()  # after this transaction commits: the odds cache and the pushes
            with connections[GLOBAL_ALIAS].cursor() as cursor:
                for producer_id, ts in newest.items():
                    cursor.execute(
                        "UPDATE providers_producer SET last_processed_ts = "
                        "GREATEST(last_processed_ts, %s) "
                        "WHERE provider_id = %s AND producer_id = %s",
                        [ts, self.provider.pk, producer_id],
                    )
        for producer_id, ts in newest.items():
            self.producers.processed(producer_id, ts)
        for key in COUNTERS:
            self.counts[key] += translator.counts[key]

    def _system(self, message: m.Message) -> None:
        if isinstance(message, m.Alive):
            self.producers.alive(message.product, subscribed=message.subscribed)
        elif isinstance(message, m.SnapshotComplete):
            self.producers.snapshot_complete(message.product, message.request_id)
        elif isinstance(message, m.ProductDown):
            self.producers.product_down(message.product)

    def _producer_changed(self, producer_id: int, down: bool) -> None:
        event_ids = list(
            Market.objects.filter(
                producer=producer_id, status=1, event__provider=self.provider.name
            )
            .values_list("event_id", flat=True)
            .distinct()
        )
        self.coalescer.refresh(event_ids)

    def _save_stats(self) -> None:
        deltas = {
            key: F(key) + self.counts[key] for key in ("messages", *COUNTERS) if self.counts[key]
        }
        self.counts.clear()
        if self._last_message_at is not None:
            deltas["last_message_at"] = self._last_message_at
            deltas["lag_ms"] = self._lag_ms
        Provider.objects.filter(pk=self.provider.pk).update(
            running=True, heartbeat_at=timezone.now(), **deltas
        )
