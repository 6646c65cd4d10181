"""Writing events to the outbox (inside the change's transaction) and applying them once; how
many events wait in the dead-letter table (``dead_letter_counts``, for the metrics)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction

from apps.outbox.dead_letters import dead_letter_counts as dead_letter_counts
from apps.outbox.events import OutboxEvent
from apps.outbox.models import GlobalInbox, GlobalOutbox, ShardInbox, ShardOutbox
from shards import map as shard_map
from shards import queues

log = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent, str], None]
_handlers: dict[tuple[str, str], Handler] = {}


class OutsideTransaction(RuntimeError):
    """An event was emitted outside the transaction of the change it announces."""


def outbox_emit(
    *,
    using: str,
    topic: str,
    payload: dict[str, Any],
    audience: str = queues.GLOBAL,
    brand_id: int | None = None,
) -> uuid.UUID:
    """Record an event on database ``using``; it is published only if the transaction commits."""
    queues.event_routing_key(topic=topic, audience=audience)
    if not connections[using].in_atomic_block:
        raise OutsideTransaction(f"emit {topic} inside transaction.atomic(using={using!r})")
    model = ShardOutbox if shard_map.is_shard_alias(using) else GlobalOutbox
    row = model.objects.using(using).create(
        topic=topic, audience=audience, brand_id=brand_id, payload=payload
    )
    return row.event_id


def tier_of(using: str) -> str:
    return "shard" if shard_map.is_shard_alias(using) else "global"


def handles(topic: str, *, tier: str) -> Callable[[Handler], Handler]:
    """Register the consumer of ``topic`` on the ``global`` or ``shard`` tier."""
    if tier not in {"global", "shard"}:
        raise ValueError("tier must be 'global' or 'shard'")

    def register(func: Handler) -> Handler:
        key = (tier, topic)
        if key in _handlers and _handlers[key] is not func:
            raise ValueError(f"{topic} already has a {tier} handler")
        _handlers[key] = func
        return func

    return register


def handler_for(topic: str, *, tier: str) -> Handler | None:
    return _handlers.get((tier, topic))


def event_apply_once(*, event: OutboxEvent, using: str) -> bool:
    """Apply ``event`` on database ``using`` unless it was applied before; True if applied now.

    The inbox receipt and the handler's effect commit together, so a redelivery (the relay
    republishing after a crash, the broker redelivering after a worker died) changes nothing.
    """
    handler = handler_for(event.topic, tier=tier_of(using))
    if handler is None:
        log.warning("no handler", extra={"topic": event.topic, "event_id": str(event.event_id)})
        return False
    inbox = ShardInbox if shard_map.is_shard_alias(using) else GlobalInbox
    table = inbox._meta.db_table
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (event_id, topic, received_at) VALUES (%s, %s, now()) "  # noqa: S608
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                [event.event_id, event.topic],
            )
            if cursor.fetchone() is None:
                return False
        handler(event, using)
    return True
