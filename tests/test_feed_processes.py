"""The feed with real processes: provider → broker → adapter → outbox relay → shard pools, and
the live odds socket; and the adapter killed mid-stream."""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import pytest

from apps.catalog.models import Event, Market, ReplicaMarket, ReplicaResult, Result
from apps.outbox.models import GlobalOutbox, ShardInbox
from apps.providers.models import Producer
from betting.stack import roles
from shards import map as shard_map
from tests import live, processes
from tests.feed_helpers import (
    delete_queue,
    make_event,
    market,
    odds_change,
    provider,
    publish,
    queue_depth,
)

EVENTS = 30
ROUNDS = 12
ONE_X_TWO = {"1": "2.10", "2": "3.30", "3": "3.60"}


def _settlement(urn: str, ts: int, certainty: int) -> bytes:
    return (
        f'<bet_settlement product="1" event_id="{urn}" timestamp="{ts}" certainty="{certainty}">'
        '<outcomes><market id="1"><outcome id="1" result="1"/><outcome id="2" result="0"/>'
        '<outcome id="3" result="0"/></market>'
        '<market id="18" specifiers="total=2.5"><outcome id="12" result="0"/>'
        '<outcome id="13" result="1"/></market></outcomes></bet_settlement>'
    ).encode()


def _stream(urns: list[str], base: int) -> tuple[list[bytes], int]:
    """Each event's odds, then its live-scouted and confirmed settlements and, for every third
    event, a rollback and a new settlement: settlements spread all along the stream."""
    bodies: list[bytes] = []
    results = 0
    ts = base
    for i, urn in enumerate(urns):
        for r in range(ROUNDS):
            ts += 1
            price = f"{2 + r / 100:.2f}"
            lines = market(1, {**ONE_X_TWO, "1": price}) + market(
                18, {"12": "1.90", "13": "1.90"}, specifiers="total=2.5"
            )
            bodies.append(odds_change(urn, ts, lines))
        for certainty in (1, 2):
            ts += 1
            bodies.append(_settlement(urn, ts, certainty))
            results += 2
        if i % 3 == 0:
            ts += 1
            bodies.append(
                f'<rollback_bet_settlement product="1" event_id="{urn}" timestamp="{ts}">'
                '<market id="1"/></rollback_bet_settlement>'.encode()
            )
            ts += 1
            bodies.append(_settlement(urn, ts, 2))
            results += 3
    return bodies, results


def _result_ids_in_outbox() -> list[int]:
    ids = []
    for row in GlobalOutbox.objects.filter(topic="catalog.results"):
        ids.extend(r[0] for r in row.payload["results"])
    return ids


@pytest.fixture
def feed_provider(clean):
    row = provider(exchange=f"uof-test-{uuid.uuid4().hex[:8]}")
    yield row
    delete_queue(row)


def test_killing_the_adapter_mid_stream_loses_and_duplicates_no_settlement(feed_provider):
    urns = [f"sr:match:{7000 + i}" for i in range(EVENTS)]
    for urn in urns:
        make_event(urn)
    bodies, expected = _stream(urns, base=int(time.time() * 1000) - 60_000)
    publish(feed_provider, bodies)
    assert queue_depth(feed_provider) == len(bodies)

    role = roles.provider("uof", "--batch", "5")
    kills = 0
    adapter = processes.start(role)
    try:
        for _ in range(2):  # two crashes, each while settlements are arriving
            processes.wait_until(
                lambda n=kills: Result.objects.count() > (n + 1) * expected // 4,
                timeout=60,
                message=f"settlements applying:\n{adapter.output()[-3000:]}",
            )
            adapter.kill()
            kills += 1
            assert 0 < Result.objects.count() < expected
            adapter = processes.start(role)
        adapter.wait_for("consuming")
        processes.wait_until(
            lambda: Result.objects.count() == expected and queue_depth(feed_provider) == 0,
            timeout=120,
            message=f"the stream applied: {Result.objects.count()} of {expected}, "
            f"{queue_depth(feed_provider)} queued\n{adapter.output()[-3000:]}",
        )
        # Give a redelivered batch the time to (not) apply again.
        time.sleep(1)
    finally:
        adapter.stop()

    assert Result.objects.count() == expected
    ids = _result_ids_in_outbox()
    assert len(ids) == len(set(ids)) == expected  # each result replicated exactly once
    # The last state of each line is the last message's, whatever was redelivered.
    for urn in urns[:3]:
        line = Market.objects.get(event__urn=urn, market_id=1)
        assert line.status == -3  # settled again after the rollback (or first settlement)

    # The shards receive them through the real relay and shard pools; shard 1's pool is down at
    # first and catches up from its queue when it starts.
    results_events = GlobalOutbox.objects.filter(topic="catalog.results").count()
    pools = [processes.start(roles.shard_pool(0))]
    relay = processes.start(roles.relay())
    try:
        pools[0].wait_for(processes.WORKER_READY)
        processes.wait_until(
            lambda: ReplicaResult.objects.using("shard_0").count() == expected,
            timeout=90,
            message="results on shard 0",
        )
        assert ReplicaResult.objects.using("shard_1").count() == 0
        pools.append(processes.start(roles.shard_pool(1)))
        processes.wait_until(
            lambda: ReplicaResult.objects.using("shard_1").count() == expected,
            timeout=90,
            message="shard 1 caught up",
        )
        lines = Market.objects.count()
        for alias in shard_map.aliases():
            assert ReplicaMarket.objects.using(alias).count() == lines
    finally:
        relay.stop()
        for pool in pools:
            pool.stop()
    for alias in shard_map.aliases():
        receipts = ShardInbox.objects.using(alias).filter(topic="catalog.results").count()
        assert receipts == results_events


@pytest.fixture(scope="module")
def gateway(platform):
    with live.gateway_server() as port:
        yield port


def test_simulator_to_adapter_to_shards_and_a_socket(feed_provider, gateway, alpha):
    """The simulator publishes; the adapter fetches the fixtures from its API and applies the
    odds; both shards receive the lines; an event page's socket receives a push."""
    api_port = live.free_port()
    simulator = processes.start(
        roles.feed_simulator(
            api_port=api_port,
            rate=60,
            exchange=feed_provider.exchange,
            extra=(
                "--events",
                "6",
                "--seed",
                "7",
                "--live-only",
                "--broker",
                os.environ["BROKER_URL"],
            ),
        )
    )
    feed_provider.api_url = f"http://127.0.0.1:{api_port}"
    feed_provider.save()
    adapter = processes.start(roles.provider("uof", "--push-interval", "0.05"))
    pools = [processes.start(roles.shard_pool(k)) for k in range(2)]
    relay = processes.start(roles.relay())
    try:
        adapter.wait_for("consuming")
        processes.wait_until(
            lambda: Market.objects.filter(status=1).exists(),
            timeout=60,
            message=f"odds applied:\n{adapter.output()[-2000:]}\n{simulator.output()[-2000:]}",
        )
        event = Event.objects.filter(markets__status=1).distinct().first()
        assert re.fullmatch(r"sr:match:\d+", event.urn) and event.home_name
        for pool in pools:
            pool.wait_for(processes.WORKER_READY)
        processes.wait_until(
            lambda: all(
                ReplicaMarket.objects.using(a).filter(event_id=event.id).exists()
                for a in shard_map.aliases()
            ),
            timeout=60,
            message="lines on both shards",
        )
        with live.websocket(gateway, "alpha.localhost", path=f"/ws/events/{event.id}/") as sock:
            first = json.loads(sock.recv(timeout=10))
            assert first["full"] is True and first["markets"]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                message = json.loads(sock.recv(timeout=30))
                if not message["full"] and message["markets"]:
                    break
            else:
                pytest.fail("no odds push within 30 s")
            assert message["event"] == event.id and message["ts"] > 0
        # The producers recovered through the simulator's API and are up.
        processes.wait_until(
            lambda: Producer.objects.filter(provider=feed_provider, state="up").exists(),
            timeout=30,
            message="a producer up after recovery",
        )
    finally:
        for proc in (relay, *pools, adapter, simulator):
            proc.stop()
