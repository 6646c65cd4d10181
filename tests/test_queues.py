"""The queuing tier with real worker processes: each shard's pool consumes only its queue, and
tasks carry brand and shard in their headers and restore them when they run."""

import json
import os
import uuid

import pytest
import redis
from django.conf import settings
from django_tenants.utils import schema_context
from kombu import Connection, Queue

from apps.ops.tasks import global_probe, pool_probe
from apps.providers.models import Provider
from apps.providers.uof.adapter import feed_queue
from betting.celery import app as celery_app
from betting.stack import roles
from shards import ids, queues
from shards.tasks import ShardTask, WrongPool
from tests import processes


def _replies(key, count, timeout=60):
    client = redis.Redis.from_url(settings.REDIS_URL)
    processes.wait_until(
        lambda: client.llen(key) >= count, timeout=timeout, message=f"{count} replies on {key}"
    )
    return [json.loads(raw) for raw in client.lrange(key, 0, -1)]


def _player_ids(shard, count):
    base = ids.ID_EPOCH_MS + 1_000_000
    return [ids.compose(millis=base + n, shard=shard, sequence=n) for n in range(count)]


def test_a_task_for_a_player_is_routed_to_the_queue_of_its_shard():
    for shard in (0, 1):
        player_id = _player_ids(shard, 1)[0]
        route = queues.route_task("ops.pool_probe", (), {"player_id": player_id}, {}, pool_probe)
        assert route["queue"] == queues.broker_name(f"shard.{shard}")
        assert route["routing_key"] == f"shard.{shard}"
    route = queues.route_task("ops.global_probe", (), {}, {}, global_probe)
    assert route["queue"] == queues.broker_name("global")
    with pytest.raises(TypeError):
        queues.route_task("ops.pool_probe", (), {}, {}, pool_probe)


def test_each_shard_pool_consumes_only_its_own_queue(clean, alpha, beta):
    reply_to = f"test:probe:{uuid.uuid4()}"
    expected = {}
    with schema_context(alpha.schema_name):
        for shard in (0, 1):
            for player_id in _player_ids(shard, 10):
                pool_probe.delay(player_id=player_id, reply_to=reply_to)
                expected[str(player_id)] = (shard, alpha.schema_name)
    with schema_context(beta.schema_name):
        for player_id in _player_ids(1, 5):
            pool_probe.delay(player_id=player_id + 7, reply_to=reply_to)
            expected[str(player_id + 7)] = (1, beta.schema_name)
    global_probe.delay(reply_to=reply_to)

    ready = processes.WORKER_READY
    with (
        processes.running(roles.shard_pool(0), ready=ready) as pool0,
        processes.running(roles.shard_pool(1), ready=ready) as pool1,
        processes.running(roles.global_worker(), ready=ready) as global_pool,
    ):
        try:
            replies = _replies(reply_to, len(expected) + 1)
        except TimeoutError as exc:
            logs = "\n".join(p.output()[-2000:] for p in (pool0, pool1, global_pool))
            raise AssertionError(f"{exc}\n{logs}") from exc
    assert pool0.proc.returncode is not None and pool1.proc.returncode is not None
    by_player = {r["player_id"]: r for r in replies if "player_id" in r}
    assert set(by_player) == set(expected)
    for player_id, (shard, schema) in expected.items():
        record = by_player[player_id]
        assert record["pool"] == shard, f"shard {shard} work ran on pool {record['pool']}"
        assert record["shard"] == shard
        assert record["brand_schema"] == schema
    (global_reply,) = [r for r in replies if "player_id" not in r]
    assert global_reply["pool"] is None and global_reply["shard"] is None
    assert global_reply["brand_schema"] == "public"


def test_a_pool_refuses_work_of_another_shard(monkeypatch):
    monkeypatch.setenv("SHARD_POOL", "0")
    player_id = _player_ids(1, 1)[0]
    task = pool_probe
    assert isinstance(task, ShardTask)
    with pytest.raises(WrongPool):
        task.restored({"player_id": player_id}).__enter__()


@pytest.mark.skipif(
    not settings.BROKER_IS_AMQP, reason="queue types are RabbitMQ's (BROKER_URL unset: Redis)"
)
def test_the_durable_queues_on_the_broker_are_quorum_queues(platform):
    """RabbitMQ refuses to redeclare a queue with another type: a classic declaration of each
    task queue and of a feed's queue on the platform's broker is refused, so the queue there is
    a quorum queue (replicated over the cluster's nodes)."""
    feed = feed_queue(Provider(name="quorum-check", exchange="unifiedfeed"))
    declared = [*celery_app.amqp.queues.values(), feed]
    assert {q.name for q in declared} >= {queues.broker_name("global"), feed.name}
    with Connection(settings.BROKER_URL) as conn:
        feed(conn.channel()).declare()
        try:
            for queue in declared:
                assert queue.queue_arguments == {"x-queue-type": "quorum"}
                assert queue.durable and not queue.exclusive and not queue.auto_delete
                classic = Queue(queue.name, durable=True)(conn.channel())
                with pytest.raises(conn.channel_errors, match="x-queue-type"):
                    classic.declare()
        finally:
            feed(conn.channel()).delete()


def test_ci_exercises_rabbitmq():
    """CI sets BROKER_URL to the machine's RabbitMQ: the broker tests above ran against it."""
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI the broker is whatever the environment names (Redis when none)")
    assert settings.BROKER_IS_AMQP
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS == {"confirm_publish": True}
