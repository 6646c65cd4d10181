"""A whole test run of its own, started by ``test_broker_namespace.py`` (its name does not match
``test_*.py``, so the suite does not collect it): a provider's adapter and the feed simulator, as
real processes, declare the provider's queue and feed exchange under this run's namespace, and a
shard pool its control exchange."""

from __future__ import annotations

import os

from django.conf import settings
from kombu import Connection

from betting.stack import roles
from shards import queues
from tests import live, processes
from tests.feed_helpers import provider

PROVIDER = "leftover"


def _declared(exchanges: list[str], queue: str) -> bool:
    with Connection(settings.BROKER_URL) as conn:
        try:
            for exchange in exchanges:
                conn.channel().exchange_declare(exchange, "topic", passive=True)
            conn.channel().queue_declare(queue, passive=True)
        except conn.channel_errors:
            return False
    return True


def test_the_adapter_and_the_simulator_declare_the_feed_under_the_namespace(clean):
    row = provider(name=PROVIDER, exchange="unifiedfeed")
    simulator = processes.start(
        roles.feed_simulator(
            api_port=live.free_port(),
            rate=5,
            exchange=row.exchange,
            extra=("--events", "2", "--seed", "1", "--broker", os.environ["BROKER_URL"]),
        )
    )
    adapter = processes.start(roles.provider(PROVIDER))
    pool = processes.start(roles.shard_pool(0))
    try:
        pool.wait_for(processes.WORKER_READY)
        adapter.wait_for("consuming")
        exchanges = [f"{queues.NAMESPACE}unifiedfeed", f"{queues.NAMESPACE}celery.pidbox"]
        queue = f"{queues.NAMESPACE}provider.{PROVIDER}"
        processes.wait_until(
            lambda: _declared(exchanges, queue),
            timeout=30,
            message=f"{exchanges} and {queue} on the broker\n{simulator.output()[-2000:]}",
        )
    finally:
        pool.stop()
        adapter.stop()
        simulator.stop()
