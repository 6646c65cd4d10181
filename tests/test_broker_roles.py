"""Broker users per role (``docker/rabbitmq/users.sh``) on a private RabbitMQ node: a shard pool,
the relay and a task's publisher each work with their own user, and a publisher's user can
neither read, delete nor declare a queue, nor publish an event."""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid

import pytest
from django.conf import settings
from django.db import transaction
from kombu import Connection, Exchange, Queue

from apps.ops.tasks import pool_probe
from apps.outbox.models import GlobalOutbox
from apps.outbox.services import outbox_emit
from betting.celery import app as celery_app
from betting.stack import roles
from betting.stack.services import ROOT
from shards import ids, queues
from tests import processes
from tests.private_services import PrivateRabbit

pytestmark = pytest.mark.skipif(
    not settings.BROKER_IS_AMQP,
    reason="broker users are RabbitMQ's: the run's broker is Redis (embedded mode, no BROKER_URL)",
)

ROLES = ("worker", "relay", "web", "sockets", "beat", "live-odds", "provider")


@pytest.fixture
def node(tmp_path):
    node = PrivateRabbit(tmp_path / "rabbit")
    node.start()
    yield node
    node.kill()


def _users(node: PrivateRabbit) -> dict[str, str]:
    passwords = {role: secrets.token_hex(12) for role in ROLES}
    env = {
        **os.environ,
        "HOME": str(node.dir),
        "RABBITMQCTL": f"{node.ctl_bin} -n {node.node}",
        **{f"RABBITMQ_PASSWORD_{r.upper().replace('-', '_')}": p for r, p in passwords.items()},
    }
    done = subprocess.run(
        ["sh", str(ROOT / "docker" / "rabbitmq" / "users.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return {role: node.url(role, password) for role, password in passwords.items()}


def _refused(url: str, action) -> None:
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        with pytest.raises(conn.channel_errors, match="ACCESS_REFUSED"):
            action(channel)


def test_each_role_works_with_its_own_broker_user_and_no_more(clean, node):
    urls = _users(node)
    shard_queue = queues.broker_name(queues.shard_queue_name(0))
    pool = processes.start(
        roles.shard_pool(0), env={"BROKER_URL": urls["worker"], "LOG_LEVEL": "DEBUG"}
    )
    relay = processes.start(roles.relay(), env={"BROKER_URL": urls["relay"]})
    try:
        pool.wait_for(processes.WORKER_READY)
        relay.wait_for(processes.RELAY_READY)
        # The relay publishes an event to the shard's pool.
        with transaction.atomic(using="default"):
            event_id = outbox_emit(
                using="default", topic="roles.check", payload={}, audience="shard.0"
            )
        pool.wait_for(f"outbox.deliver[{event_id}] succeeded", timeout=60)
        assert not GlobalOutbox.objects.exists()
        # The web role publishes a task; the pool runs it.
        player_id = ids.compose(millis=ids.ID_EPOCH_MS + 5, shard=0, sequence=1)
        reply_to = f"test:roles:{uuid.uuid4()}"
        with celery_app.connection_for_write(url=urls["web"]) as conn:
            result = pool_probe.apply_async(
                kwargs={"player_id": player_id, "reply_to": reply_to}, connection=conn
            )
        pool.wait_for(f"ops.pool_probe[{result.id}] succeeded", timeout=60)

        web = urls["web"]
        _refused(web, lambda ch: ch.basic_get(shard_queue))  # read another's work
        _refused(web, lambda ch: ch.queue_delete(shard_queue))
        _refused(web, lambda ch: ch.queue_purge(shard_queue))
        _refused(web, lambda ch: Queue(f"{queues.NAMESPACE}stray", durable=True)(ch).declare())
        _refused(
            web,
            lambda ch: ch.basic_publish(
                ch.prepare_message(b"{}"), exchange=queues.EVENTS.name, routing_key="shards.x"
            ),
        )
        _refused(urls["provider"], lambda ch: ch.queue_delete(shard_queue))
        _refused(urls["live-odds"], lambda ch: Exchange(queues.TASKS.name)(ch).declare())
        _refused(urls["relay"], lambda ch: ch.basic_get(shard_queue))
        assert "ACCESS_REFUSED" not in pool.output() + relay.output()
    finally:
        pool.stop()
        relay.stop()
    # The refusals left the shard's queue in place.
    with Connection(node.url()) as conn:
        _, messages, _ = conn.channel().queue_declare(shard_queue, passive=True)
        assert messages == 0
