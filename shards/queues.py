"""Queues and exchanges of the queuing tier, and how a task finds its shard's queue.

* ``tasks`` (direct): a task for player p goes to ``shard.<shard of p>``; other tasks to ``global``.
* ``events`` (topic): outbox events. Routing keys start with their audience: ``global.<topic>``
  (the global tier), ``shards.<topic>`` (every shard), ``shard.<k>.<topic>`` (one shard).

Each queue is consumed by one pool only: ``global`` by the global workers, ``shard.<k>`` by the
pool of shard k (started with ``SHARD_POOL=k``).

The durable queues are quorum queues: replicated over the broker's cluster, a message confirmed
to a publisher survives the loss of a minority of its nodes. Workers' remote-control (pidbox) and
reply queues stay Celery's own: transient, auto-deleted, classic.
"""

from __future__ import annotations

import os
import re
from typing import Any

from kombu import Exchange, Queue, binding

from shards import ids

# QUEUE_NAMESPACE prefixes every queue and exchange name on the broker, so that two
# installations (a test run beside a development stack, say) can share one broker or vhost.
# Routing keys and event audiences stay the same.
NAMESPACE = os.environ.get("QUEUE_NAMESPACE", "").strip()
if not re.fullmatch(r"[a-z0-9_.-]{0,40}", NAMESPACE):
    raise ValueError("QUEUE_NAMESPACE may hold up to 40 of a-z 0-9 _ . -")

TASKS = Exchange(f"{NAMESPACE}tasks", type="direct", durable=True)
EVENTS = Exchange(f"{NAMESPACE}events", type="topic", durable=True)
GLOBAL = "global"


def shard_queue_name(shard: int) -> str:
    """The logical name (also the routing key and the event audience) of shard k's queue."""
    return f"shard.{shard}"


def broker_name(logical: str) -> str:
    """The queue's name on the broker."""
    return f"{NAMESPACE}{logical}"


# RabbitMQ replicates a quorum queue (Raft) over the cluster's nodes; a quorum queue is durable,
# never exclusive, never auto-deleted. A classic queue of the same name on the broker cannot be
# redeclared as one (PRECONDITION_FAILED): docs/operations.md gives the upgrade.
QUORUM = {"x-queue-type": "quorum"}


def durable_queue(name: str, bindings: list[binding]) -> Queue:
    """A queue of the platform's broker that must survive a broker node: a quorum queue (the
    Redis transport ignores the argument)."""
    return Queue(name, bindings=bindings, durable=True, queue_arguments=dict(QUORUM))


def feed_exchange(name: str) -> Exchange:
    """A content provider's topic exchange (its record's ``exchange``, ``unifiedfeed`` for UOF)
    under the namespace: the adapter's queue binds to it and the publishers (the simulator, the
    bench's publisher) declare it through here, so a test run or a second stack on the same
    broker never shares another's feed."""
    return Exchange(broker_name(name), type="topic", durable=True)


def declare(shard_count: int) -> list[Queue]:
    # Every binding is listed in ``bindings``: kombu ignores a queue's own exchange once it has
    # bindings, so the direct ``tasks`` binding is one of them.
    queues = [
        durable_queue(
            broker_name(GLOBAL),
            [binding(TASKS, routing_key=GLOBAL), binding(EVENTS, routing_key="global.#")],
        )
    ]
    for shard in range(shard_count):
        name = shard_queue_name(shard)
        queues.append(
            durable_queue(
                broker_name(name),
                [
                    binding(TASKS, routing_key=name),
                    binding(EVENTS, routing_key="shards.#"),
                    binding(EVENTS, routing_key=f"{name}.#"),
                ],
            )
        )
    return queues


def event_routing_key(*, topic: str, audience: str) -> str:
    """``audience`` is ``global``, ``shards`` or ``shard.<k>``."""
    if audience not in {GLOBAL, "shards"} and not audience.startswith("shard."):
        raise ValueError(f"unknown event audience {audience!r}")
    return f"{audience}.{topic}"


def task_shard(name: str, kwargs: dict) -> int:
    """A shard task names its shard by ``player_id=`` (work for a player) or ``shard=``."""
    if kwargs.get("player_id") is not None:
        return ids.shard_of(kwargs["player_id"])
    shard = kwargs.get("shard")
    if isinstance(shard, int) and not isinstance(shard, bool) and 0 <= shard < ids.MAX_SHARDS:
        return shard
    raise TypeError(f"{name} is a shard task and must be called with player_id= or shard=")


def route_task(
    name: str, args: tuple, kwargs: dict, options: dict, task: Any = None, **_: Any
) -> dict[str, Any]:
    """Celery router: shard tasks go to the queue of the shard their ``player_id`` encodes."""
    if options.get("exchange"):
        return {}  # an explicit destination (the relay publishing to ``events``) stands
    if getattr(task, "is_shard_task", False):
        queue = shard_queue_name(task_shard(name, kwargs))
    else:
        queue = options.get("queue") or GLOBAL
        if not isinstance(queue, str):
            return {}
    # A publisher does not declare the queue (Celery would, on its first message): declaring
    # needs the right to configure it, which is also the right to delete it. The relay and the
    # pools declare the topology when they start; a publisher's broker user may only write to
    # the ``tasks`` exchange (docker/rabbitmq/users.sh).
    return {
        "queue": broker_name(queue),
        "exchange": TASKS.name,
        "routing_key": queue,
        "declare": [],
    }
