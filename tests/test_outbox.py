"""The outbox: events commit with their change, the relay delivers them at least once, and the
consumers apply each exactly once. Crash behaviour is shown with real processes."""

import contextlib
import random
import time
import uuid

import pytest
from celery import Celery
from django.db import transaction

from apps.backoffice.models import BrandStats
from apps.outbox import relay
from apps.outbox.models import GlobalInbox, GlobalOutbox, ShardOutbox
from apps.outbox.services import OutboxEvent, OutsideTransaction, event_apply_once, outbox_emit
from apps.players.services import player_register
from betting.celery import app
from betting.stack import roles
from shards import map as shard_map
from tests import processes

PASSWORD = "a long enough passphrase"


def _outbox_rows():
    return GlobalOutbox.objects.count() + sum(
        ShardOutbox.objects.using(a).count() for a in shard_map.aliases()
    )


def _count(brand):
    stats = BrandStats.objects.filter(brand_id=brand.id).first()
    return stats.player_count if stats else 0


def test_emit_outside_a_transaction_is_refused(clean):
    with pytest.raises(OutsideTransaction):
        outbox_emit(using="shard_0", topic="player.registered", payload={})
    assert _outbox_rows() == 0


def test_an_event_of_a_rolled_back_change_is_never_published(clean):
    with pytest.raises(RuntimeError), transaction.atomic(using="shard_1"):
        outbox_emit(using="shard_1", topic="player.registered", payload={"brand_id": 1})
        raise RuntimeError("the change failed")
    assert _outbox_rows() == 0


def test_an_unknown_audience_is_refused(clean):
    with pytest.raises(ValueError), transaction.atomic(using="shard_0"):
        outbox_emit(using="shard_0", topic="x", payload={}, audience="everyone")


def test_a_duplicate_event_is_applied_once(alpha):
    event = OutboxEvent(
        event_id=uuid.uuid4(),
        topic="player.registered",
        audience="global",
        brand_id=alpha.id,
        origin="shard_0",
        payload={"brand_id": alpha.id},
    )
    assert event_apply_once(event=event, using="default") is True
    assert event_apply_once(event=event, using="default") is False
    assert _count(alpha) == 1
    assert GlobalInbox.objects.filter(event_id=event.event_id).count() == 1


def test_relay_keeps_rows_when_the_broker_is_unreachable(alpha):
    player = player_register(
        brand=alpha, username="offline1", email="o@example.com", password=PASSWORD
    )
    dead = Celery("unreachable", broker="redis://127.0.0.1:1/0", set_as_current=False)
    dead.conf.broker_connection_timeout = 1
    with pytest.raises(Exception):  # noqa: B017 (whatever the transport raises)
        relay.relay_batch(dead, shard_map.alias_for(player.id))
    assert _outbox_rows() == 1


def test_republished_events_after_a_relay_crash_count_once(alpha, monkeypatch):
    """The relay publishes a batch, then fails before deleting it: the batch goes out twice."""
    for n in range(5):
        player_register(brand=alpha, username=f"twice{n}", email="t@example.com", password=PASSWORD)

    def crash(*args):
        raise ConnectionAbortedError("the relay died after publishing")

    relay.declare_topology(app)
    with monkeypatch.context() as patched:
        patched.setattr(relay, "_forget", crash)
        for using in shard_map.aliases():
            with contextlib.suppress(ConnectionAbortedError):
                relay.relay_batch(app, using)
    assert _outbox_rows() == 5  # published once, and still in the outbox
    assert sum(relay.relay_batch(app, using) for using in shard_map.aliases()) == 5
    assert _outbox_rows() == 0
    with processes.running(
        roles.global_worker(), ready=processes.WORKER_READY, env={"LOG_LEVEL": "DEBUG"}
    ) as worker:
        processes.wait_until(
            lambda: worker.output().count("succeeded in") == 10, timeout=60, message="10 deliveries"
        )
    assert worker.output().count("s: True") == 5  # applied
    assert worker.output().count("s: False") == 5  # recognised as duplicates
    assert _count(alpha) == 5


def test_killing_the_relay_mid_burst_loses_and_duplicates_nothing(alpha, beta):
    """Registrations stream in while the relay is SIGKILLed and restarted: counts end exact."""
    rng = random.Random(20261127)
    registered = {alpha.id: 0, beta.id: 0}
    with processes.running(roles.global_worker(), ready=processes.WORKER_READY):
        relay_proc = processes.start(roles.relay())
        relay_proc.wait_for(processes.RELAY_READY)
        kill_at = {60, 140}
        for n in range(200):
            brand = alpha if rng.random() < 0.6 else beta
            player_register(
                brand=brand, username=f"burst{n}", email=f"b{n}@example.com", password=PASSWORD
            )
            registered[brand.id] += 1
            if n in kill_at:
                relay_proc.kill()
                assert relay_proc.proc.returncode == -9
                relay_proc = processes.start(roles.relay())
                relay_proc.wait_for(processes.RELAY_READY)
        try:
            processes.wait_until(lambda: _outbox_rows() == 0, timeout=60, message="outbox drained")
            processes.wait_until(
                lambda: (
                    _count(alpha) == registered[alpha.id] and _count(beta) == registered[beta.id]
                ),
                timeout=60,
                message=f"counts reach {registered}",
            )
        finally:
            relay_proc.stop()
    time.sleep(0.5)
    assert (_count(alpha), _count(beta)) == (registered[alpha.id], registered[beta.id])
    assert GlobalInbox.objects.count() == 200
