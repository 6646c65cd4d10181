"""Pool wiring refused at start, retries kept on the failing pool, websockets same-origin only."""

import pytest

from apps.outbox import tasks as outbox_tasks
from apps.outbox.services import OutboxEvent
from apps.outbox.signing import envelope_sign
from betting.stack import roles
from shards import queues
from shards.tasks import WrongPool, check_pool_queues
from tests import live, processes
from tests.test_realtime import _login


def test_a_pool_must_consume_exactly_its_shards_queue(monkeypatch):
    monkeypatch.setenv("SHARD_POOL", "0")
    check_pool_queues({queues.broker_name("shard.0")})
    for wrong in ({queues.broker_name("shard.1")}, {queues.broker_name("shard.0"), "global"}):
        with pytest.raises(WrongPool):
            check_pool_queues(wrong)
    monkeypatch.delenv("SHARD_POOL")
    check_pool_queues({queues.broker_name("global")})
    with pytest.raises(WrongPool):
        check_pool_queues({queues.broker_name("global"), queues.broker_name("shard.1")})


def test_a_miswired_pool_refuses_to_start(platform):
    pool = roles.shard_pool(0)
    miswired = roles.Role(pool.name, pool.argv, {**pool.env, "SHARD_POOL": "1"})
    worker = processes.start(miswired)
    assert worker.proc.wait(60) != 0
    assert "refusing to start" in worker.output()


def test_a_failed_event_is_retried_on_the_pool_that_failed_only(alpha, monkeypatch):
    monkeypatch.setenv("SHARD_POOL", "1")
    captured = {}

    def failing(**kwargs):
        raise ConnectionError("shard database restarting")

    def retry(**kwargs):
        captured.update(kwargs)
        return RuntimeError("retry scheduled")

    monkeypatch.setattr(outbox_tasks, "event_apply_once", failing)
    monkeypatch.setattr(outbox_tasks.deliver, "retry", retry)
    event = OutboxEvent(
        event_id=__import__("uuid").uuid4(),
        topic="catalog.changed",
        audience="shards",
        brand_id=None,
        origin="global",
        payload={},
    )
    with pytest.raises(RuntimeError, match="retry scheduled"):
        outbox_tasks.deliver.run(envelope_sign(event.envelope()))
    assert captured["routing_key"] == "shard.1"
    assert captured["exchange"] == queues.TASKS.name
    assert captured["queue"] == queues.broker_name("shard.1")


@pytest.fixture(scope="module")
def sockets(platform):
    with live.sockets_server() as port:
        yield port


def test_a_websocket_from_another_origin_is_refused(sockets, alpha, beta):
    _, cookie = _login(alpha, "origin1")
    import socket

    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    def open_with(origin):
        sock = socket.create_connection(("127.0.0.1", sockets), timeout=10)
        return connect(
            f"ws://alpha.localhost:{sockets}/ws/player/",
            sock=sock,
            proxy=None,
            additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin},
        )

    with pytest.raises(InvalidStatus):
        open_with("http://evil.example")
    with pytest.raises(InvalidStatus):
        open_with("http://beta.localhost")
    # The brand's own pages, served by web on another port of the same host, may open it.
    with open_with("http://alpha.localhost:8000") as sock:
        assert "hello" in sock.recv(timeout=10)
