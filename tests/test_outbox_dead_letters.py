"""The outbox's consumers refuse events no platform role signed, keep trying an event long enough
to outlast an outage, then park it in the dead-letter table, where /metrics counts it and
``outbox_replay`` sends it back to be applied once. Real workers, a real broker; the shard that
goes down is reached through a relay of this test's own, never the shared PostgreSQL itself."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction
from django.test import override_settings

from apps.backoffice.models import BrandStats
from apps.catalog import store
from apps.ops import listener
from apps.outbox import relay
from apps.outbox.events import DELIVER, OutboxEvent
from apps.outbox.models import DeadLetter, GlobalInbox, ShardInbox
from apps.outbox.retry import retry_delays
from apps.outbox.services import outbox_emit
from apps.outbox.signing import envelope_sign, envelope_valid
from betting.celery import app
from betting.env import with_database_name
from betting.stack import roles
from shards import queues
from tests import live, processes


def test_the_default_retry_schedule_outlasts_an_hours_outage():
    delays = retry_delays(
        first_s=settings.OUTBOX_RETRY_FIRST_S,
        max_s=settings.OUTBOX_RETRY_MAX_S,
        for_s=settings.OUTBOX_RETRY_FOR_S,
    )
    assert delays[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert set(delays[9:]) == {300}  # never longer than RabbitMQ lets a delivery wait unacked
    assert len(delays) == 80
    assert sum(delays) >= 6 * 3600 > 3600
    # Worked example: doubling to the cap, then the cap until the sum reaches the horizon.
    assert retry_delays(first_s=1, max_s=8, for_s=20) == [1, 2, 4, 8, 8]
    assert retry_delays(first_s=0.1, max_s=0.2, for_s=1) == [0.1, 0.2, 0.2, 0.2, 0.2, 0.2]
    assert retry_delays(first_s=1, max_s=1, for_s=0) == []
    with pytest.raises(ValueError):
        retry_delays(first_s=2, max_s=1, for_s=10)


def _publish(envelope: dict) -> None:
    """Straight to the broker, as anyone holding broker credentials could."""
    app.send_task(
        DELIVER,
        args=[envelope],
        exchange=queues.EVENTS.name,
        routing_key=queues.event_routing_key(
            topic=str(envelope["topic"]), audience=str(envelope["audience"])
        ),
        task_id=str(uuid.uuid4()),
    )


def _registered(brand) -> OutboxEvent:
    return OutboxEvent(
        event_id=uuid.uuid4(),
        topic="player.registered",
        audience="global",
        brand_id=brand.id,
        origin="shard_0",
        payload={"brand_id": brand.id},
    )


def _player_count(brand) -> int:
    stats = BrandStats.objects.filter(brand_id=brand.id).first()
    return stats.player_count if stats else 0


def _metric(reason: str) -> float:
    """The gauge as Prometheus reads it, from the internal listener."""
    server = listener.probes_serve(host="127.0.0.1", port=live.free_port())
    try:
        status, body = live.http_get(server.server_address[1], "/metrics")
    finally:
        server.shutdown()
        server.server_close()
    assert status == 200
    found = re.search(rf'^betting_outbox_dead_letters{{reason="{reason}"}} (\S+)$', body, re.M)
    assert found, body
    return float(found.group(1))


def test_forged_events_on_the_broker_are_refused_parked_and_counted(alpha, beta):
    unsigned = _registered(alpha).envelope()
    tampered = envelope_sign(_registered(beta).envelope())
    tampered["brand_id"] = tampered["payload"]["brand_id"] = alpha.id
    with override_settings(OUTBOX_SIGNING_KEY="a key the platform does not hold"):
        wrong_key = envelope_sign(_registered(alpha).envelope())
    genuine = envelope_sign(_registered(alpha).envelope())
    assert not any(envelope_valid(e) for e in (unsigned, tampered, wrong_key))

    relay.declare_topology(app)
    with processes.running(roles.global_worker(), ready=processes.WORKER_READY):
        for envelope in (unsigned, tampered, wrong_key, genuine):
            _publish(envelope)
        processes.wait_until(
            lambda: DeadLetter.objects.count() == 3 and GlobalInbox.objects.count() == 1,
            timeout=60,
            message="three events parked, one applied",
        )
    assert (_player_count(alpha), _player_count(beta)) == (1, 0)  # only the genuine one
    assert list(GlobalInbox.objects.values_list("event_id", flat=True)) == [
        uuid.UUID(genuine["event_id"])
    ]
    parked = DeadLetter.objects.order_by("id")
    assert {letter.reason for letter in parked} == {"invalid_signature"}
    assert {str(letter.event_id) for letter in parked} == {
        unsigned["event_id"],
        tampered["event_id"],
        wrong_key["event_id"],
    }
    assert _metric("invalid_signature") == 3
    assert _metric("retries_exhausted") == 0

    # A forged event is never replayed (the replay checks the signature again), only discarded.
    ids = [letter.id for letter in parked]
    with pytest.raises(CommandError, match="refused"):
        call_command("outbox_replay", str(ids[0]))
    assert DeadLetter.objects.count() == 3
    call_command("outbox_replay", "--discard", *map(str, ids))
    assert DeadLetter.objects.count() == 0
    assert _player_count(alpha) == 1


class _Relay:
    """A TCP relay to PostgreSQL standing in for a shard's server: ``down()`` closes it and every
    connection through it (the shard is unreachable), ``up()`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = live.free_port()
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self.lock:
            if self.listener is not None:
                self.listener.close()
                self.listener = None
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _shard_urls(relayed_shard: int, port: int) -> str:
    """SHARD_DATABASE_URLS for a pool whose shard ``relayed_shard`` is reached through ``port``."""
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    relayed = parts._replace(netloc=parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{port}")
    return ",".join(
        with_database_name(
            relayed.geturl() if shard == relayed_shard else url,
            settings.DATABASES[f"shard_{shard}"]["NAME"],
        )
        for shard in range(2)
    )


def _producer_rows(using: str) -> list[tuple]:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT provider, producer, version FROM catalog_replicaproducer")
        return cursor.fetchall()


def test_an_event_outlives_a_shard_outage_in_the_dead_letter_table_and_replays_once(clean):
    base = settings.DATABASES["default"]
    if not base["HOST"] or base["HOST"].startswith("/"):
        pytest.skip("the shard's server is reached over a Unix socket")
    shard_server = _Relay((base["HOST"], int(base["PORT"] or 5432)))  # down: nothing listens yet
    with transaction.atomic(using="default"):
        event_id = outbox_emit(
            using="default",
            topic=store.PRODUCER_TOPIC,
            audience=queues.shard_queue_name(1),
            payload={"provider": "uof", "producer": 3, "down": True, "version": 7},
        )
    relay.declare_topology(app)
    pool_env = {
        "SHARD_DATABASE_URLS": _shard_urls(1, shard_server.port),
        "OUTBOX_RETRY_FIRST_MS": "100",
        "OUTBOX_RETRY_MAX_MS": "200",
        "OUTBOX_RETRY_FOR_S": "1",  # 0.1, 0.2, 0.2, 0.2, 0.2, 0.2: six retries
        "LOG_LEVEL": "DEBUG",  # the per-event lines are DEBUG
    }
    try:
        with processes.running(
            roles.shard_pool(1), ready=processes.WORKER_READY, env=pool_env
        ) as pool:
            assert relay.relay_batch(app, "default") == 1
            processes.wait_until(
                lambda: DeadLetter.objects.filter(event_id=event_id).exists(),
                timeout=60,
                message="the event parked after its retries",
            )
            letter = DeadLetter.objects.get(event_id=event_id)
            assert (letter.reason, letter.queue, letter.topic) == (
                "retries_exhausted",
                "shard.1",
                store.PRODUCER_TOPIC,
            )
            assert letter.attempts == 7
            assert "OperationalError" in letter.error
            assert envelope_valid(letter.envelope)
            assert _producer_rows("shard_1") == []
            assert not ShardInbox.objects.using("shard_1").exists()
            assert _metric("retries_exhausted") == 1
            assert "parked in the dead-letter table" in pool.output()

            shard_server.up()  # the shard is back
            call_command("outbox_replay", "--all")
            processes.wait_until(
                lambda: ShardInbox.objects.using("shard_1").filter(event_id=event_id).exists(),
                timeout=60,
                message="the replayed event applied",
            )
            assert DeadLetter.objects.count() == 0
            assert _metric("retries_exhausted") == 0
            with pytest.raises(CommandError, match="no such parked events"):
                call_command("outbox_replay", str(letter.id))
            # Delivered once more anyway (a second replay, a redelivery): applied once.
            done = pool.output().count("succeeded in")
            app.send_task(
                DELIVER,
                args=[letter.envelope],
                exchange=queues.TASKS.name,
                routing_key="shard.1",
                task_id=str(uuid.uuid4()),
            )
            processes.wait_until(
                lambda: pool.output().count("succeeded in") > done,
                timeout=60,
                message="the duplicate consumed",
            )
    finally:
        shard_server.down()
    assert _producer_rows("shard_1") == [("uof", 3, 7)]
    assert ShardInbox.objects.using("shard_1").filter(event_id=event_id).count() == 1
    assert _producer_rows("shard_0") == []  # addressed to shard 1 only


def test_the_relay_and_the_workers_refuse_to_start_without_a_signing_key(platform):
    for role in (roles.global_worker(), roles.shard_pool(0), roles.relay()):
        started = processes.start(role, env={"OUTBOX_SIGNING_KEY": ""})
        try:
            assert started.proc.wait(60) != 0, role.name
            processes.wait_until(
                lambda started=started: "OUTBOX_SIGNING_KEY is not set" in started.output(),
                timeout=10,
                message=f"{role.name} names the missing key",
            )
        finally:
            started.stop()
