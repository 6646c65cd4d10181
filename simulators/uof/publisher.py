"""The feed simulator's publishing loop: the world's messages to a RabbitMQ topic exchange.

Open loop: slot ``k`` is due at ``start + k / rate`` whatever happened before, so a slow moment is
caught up with a burst instead of shifting the rest of the stream; the world is advanced to the
slot's own time (``k / rate``), so a seed gives the same messages in the same order on any
machine. One connection, one channel, one kombu Producer; the exchange is declared once.
Each message is stamped at the moment it is sent (``timestamp`` = wall clock in ms, never
decreasing per producer), which is what a consumer's latency is measured from.

The HTTP API (``api.py``) talks to a running simulator through ``FeedSimulator``'s methods: the
recovery requests and control commands go through a queue to the publishing thread, the only one
that touches the world and the channel.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import kombu

from apps.providers.uof.routing import EXCHANGE
from shards import queues

from . import xml
from .api import make_server
from .world import LIVE, PREMATCH, Outgoing, World

log = logging.getLogger("simulators.uof")

DEFAULT_BROKER = "amqp://guest:guest@localhost:5672//"
ONLY_ODDS = frozenset({"odds_change"})
BURST = 256  # at most this many messages between two looks at the clock and the controls
REPORT_EVERY = 30.0


def default_broker_url() -> str:
    return os.environ.get("BROKER_URL") or DEFAULT_BROKER


def safe_url(url: str) -> str:
    """The broker URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class Config:
    events: int = 40
    event_base: int = 50_000_000
    seed: int | None = None
    rate: float = 50.0  # messages per second, all types together
    duration: float | None = None  # seconds; None: until stopped
    count: int | None = None  # messages; None: no limit
    broker_url: str = ""  # "" -> BROKER_URL, else amqp://guest:guest@localhost:5672//
    exchange: str = EXCHANGE
    api_port: int = 0  # 0: any free port
    only_odds: bool = False
    live_only: bool = False
    speed: float = 20.0  # match seconds per second
    alive_interval: float = 10.0

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.events < 1:
            raise ValueError("events must be at least 1")
        if self.speed <= 0:
            raise ValueError("speed must be positive")


class Sink(Protocol):
    def publish(self, routing_key: str, body: bytes) -> None: ...

    def close(self) -> None: ...


class SinkUnavailable(RuntimeError):
    pass


class AmqpSink:
    """Persistent messages to a durable topic exchange, on one channel; reconnects on failure."""

    RECONNECT_EVERY = 1.0

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange_name = exchange
        self._connection = None
        self._producer = None
        self._next_attempt = 0.0
        self._connect()

    def _connect(self) -> None:
        connection = kombu.Connection(self.url, connect_timeout=5)
        connection.ensure_connection(max_retries=1)
        channel = connection.channel()
        exchange = queues.feed_exchange(self.exchange_name)
        exchange(channel).declare()
        self._connection = connection
        self._errors = connection.connection_errors + connection.channel_errors + (OSError,)
        self._producer = kombu.Producer(channel, exchange=exchange, auto_declare=False)

    def publish(self, routing_key: str, body: bytes) -> None:
        if self._producer is None:
            self._reconnect()
        try:
            self._producer.publish(
                body,
                routing_key=routing_key,
                delivery_mode=2,
                content_type="text/xml",
                content_encoding="utf-8",
                retry=False,
            )
        except self._errors as exc:
            log.warning("broker lost (%s); reconnecting", exc)
            self._drop()
            raise SinkUnavailable(str(exc)) from exc

    def _reconnect(self) -> None:
        now = time.monotonic()
        if now < self._next_attempt:
            raise SinkUnavailable("broker unavailable")
        self._next_attempt = now + self.RECONNECT_EVERY
        try:
            self._connect()
        except Exception as exc:
            self._drop()
            raise SinkUnavailable(str(exc)) from exc
        log.info("broker connection restored")

    def _drop(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to do
                connection.release()

    def close(self) -> None:
        self._drop()


class MemorySink:
    """Keeps what would have been published (tests, dry runs)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    def publish(self, routing_key: str, body: bytes) -> None:
        self.messages.append((routing_key, body))

    def close(self) -> None:
        pass


class Stats:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.published = 0
        self.by_type: dict[str, int] = {}
        self.by_product: dict[str, int] = {}
        self.dropped_silenced = 0
        self.failed = 0
        self.slots = 0
        self.lag_ms = 0.0
        self.recoveries = 0

    def count(self, out: Outgoing) -> None:
        self.published += 1
        self.by_type[out.kind] = self.by_type.get(out.kind, 0) + 1
        product = str(out.product)
        self.by_product[product] = self.by_product.get(product, 0) + 1

    def snapshot(self) -> dict:
        elapsed = max(1e-9, time.monotonic() - self.started)
        return {
            "published": self.published,
            "by_type": dict(self.by_type),
            "by_product": dict(self.by_product),
            "dropped_silenced": self.dropped_silenced,
            "failed": self.failed,
            "slots": self.slots,
            "elapsed_s": round(elapsed, 3),
            "rate": round(self.published / elapsed, 1),
            "lag_ms": round(self.lag_ms, 1),
            "recoveries": self.recoveries,
        }


class FeedSimulator:
    """A running simulator: the world, its publishing thread and its HTTP API."""

    def __init__(self, config: Config, *, sink: Sink | None = None) -> None:
        self.config = config
        self.seed = (
            config.seed if config.seed is not None else random.SystemRandom().randrange(1, 2**31)
        )
        self.broker_url = config.broker_url or default_broker_url()
        self.world = World(
            seed=self.seed,
            events=config.events,
            event_base=config.event_base,
            speed=config.speed,
            live_only=config.live_only,
            epoch_ms=int(time.time() * 1000),
            alive_interval=config.alive_interval,
        )
        self.sink = sink
        self.stats_ = Stats()
        self.silenced: set[int] = set()
        self.done = threading.Event()
        self._stop = threading.Event()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._last_ts: dict[int, int] = {}
        self._thread: threading.Thread | None = None
        self._api = None
        self._api_thread: threading.Thread | None = None
        self.api_port = 0

    # Life cycle.

    def start(self) -> FeedSimulator:
        if self.sink is None:
            self.sink = AmqpSink(self.broker_url, self.config.exchange)
        self._api = make_server(self, self.config.api_port)
        self.api_port = self._api.server_address[1]
        self._api_thread = threading.Thread(
            target=self._api.serve_forever, name="feed-simulator-api", daemon=True
        )
        self._api_thread.start()
        log.info("feed simulator api on %s", self.api_url)
        log.info(
            "feed simulator publishing to %s exchange %r: seed %s, %s events from sr:match:%s,"
            " %s msg/s, speed x%s%s%s",
            safe_url(self.broker_url) if isinstance(self.sink, AmqpSink) else "memory",
            self.config.exchange,
            self.seed,
            self.config.events,
            self.config.event_base,
            self.config.rate,
            self.config.speed,
            ", only odds_change" if self.config.only_odds else "",
            ", live only" if self.config.live_only else "",
        )
        self._thread = threading.Thread(target=self._loop, name="feed-simulator", daemon=True)
        self._thread.start()
        return self

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def stop(self) -> None:
        self._stop.set()

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._api is not None:
            self._api.shutdown()
            self._api.server_close()
            self._api = None
        if self.sink is not None:
            self.sink.close()
        stats = self.stats()
        log.info(
            "feed simulator stopped: %s messages in %ss (%s/s), %s",
            stats["published"],
            stats["elapsed_s"],
            stats["rate"],
            stats["by_type"],
        )

    def __enter__(self) -> FeedSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the run ends by itself (count or duration reached)."""
        return self.done.wait(timeout)

    # What the API calls (from its own threads).

    def fixture(self, urn: str) -> xml.FixtureDoc | None:
        return self.world.fixtures.get(urn)

    def request_recovery(
        self, product: int, request_id: int, node_id: str | None, after: int | None
    ) -> None:
        self._commands.put(("recovery", product, request_id, node_id, after))

    def silence(self, product: int) -> None:
        self.silenced.add(product)
        log.info("producer %s silenced", product)

    def resume(self, product: int) -> None:
        self.silenced.discard(product)
        log.info("producer %s resumed", product)

    def unsubscribe(self, product: int) -> None:
        self._commands.put(("unsubscribe", product))

    def stats(self) -> dict:
        snapshot = self.stats_.snapshot()
        snapshot["seed"] = self.seed
        snapshot["silenced"] = sorted(self.silenced)
        snapshot["world"] = self.world.summary()
        return snapshot

    # The publishing thread.

    def _send(self, out: Outgoing) -> bool:
        if out.product in self.silenced:
            self.stats_.dropped_silenced += 1
            return False
        stamp = int(time.time() * 1000)
        last = self._last_ts.get(out.product, 0)
        if stamp < last:
            stamp = last
        self._last_ts[out.product] = stamp
        try:
            self.sink.publish(out.routing_key, out.render(stamp))
        except SinkUnavailable:
            self.stats_.failed += 1
            return False
        self.stats_.count(out)
        return True

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            if command[0] == "recovery":
                _, product, request_id, node_id, after = command
                replay = self.world.snapshot(product, request_id, node_id)
                for out in replay:
                    self._send(out)
                self.stats_.recoveries += 1
                log.info(
                    "recovery %s for producer %s (after=%s, node %s): %s events, then"
                    " snapshot_complete",
                    request_id,
                    product,
                    after,
                    node_id or "-",
                    len(replay) - 1,
                )
            elif command[0] == "unsubscribe":
                self._send(self.world.alive(command[1], subscribed=False))
                log.info("producer %s sent alive subscribed=0", command[1])

    def _report(self) -> None:
        snap = self.stats()
        log.info(
            "feed simulator: %s published (%s/s, behind %s ms), %s",
            snap["published"],
            snap["rate"],
            snap["lag_ms"],
            snap["world"],
        )

    def _loop(self) -> None:
        cfg = self.config
        rate = cfg.rate
        world = self.world
        kinds = ONLY_ODDS if cfg.only_odds else None
        limit = cfg.count
        stats = self.stats_
        start = time.monotonic()
        stats.started = start
        deadline = start + cfg.duration if cfg.duration else None
        report_at = start + REPORT_EVERY
        k = 0
        try:
            while not self._stop.is_set():
                self._run_commands()
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                due = int((now - start) * rate) + 1
                end = min(due, k + BURST)
                while k < end:
                    out = world.next(k / rate, kinds)
                    k += 1
                    if out is not None and self._send(out) and limit and stats.published >= limit:
                        return
                stats.slots = k
                stats.lag_ms = max(0.0, (now - start - k / rate) * 1000)
                if now >= report_at:
                    report_at += REPORT_EVERY
                    self._report()
                if k >= due:
                    wait = start + k / rate - time.monotonic()
                    if wait > 0:
                        self._stop.wait(min(wait, 0.05))
        except Exception:
            log.exception("feed simulator failed")
            raise
        finally:
            stats.slots = k
            self.done.set()


def run(config: Config, *, stop: threading.Event | None = None, sink: Sink | None = None) -> dict:
    """Run until the count or duration is reached, or ``stop`` is set; returns the stats."""
    simulator = FeedSimulator(config, sink=sink).start()
    try:
        while not simulator.wait(0.2):
            if stop is not None and stop.is_set():
                break
    finally:
        simulator.close()
    return simulator.stats()


__all__ = ["LIVE", "PREMATCH", "AmqpSink", "Config", "FeedSimulator", "MemorySink", "run"]
