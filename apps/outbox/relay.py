"""The outbox relay: publish committed outbox rows to the ``events`` exchange, then delete them.

Each event goes out signed with the platform's outbox key (``apps.outbox.signing``).

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` in a transaction that deletes them only after
the broker has confirmed every message of the batch (publisher confirms on RabbitMQ). A relay
killed mid-batch leaves the rows in place; the next relay publishes them again and consumers,
idempotent by event id, apply them once. Several relays may run side by side.
"""

from __future__ import annotations

import logging
import threading
import time

from celery import Celery
from django.db import close_old_connections, transaction

from apps.outbox.events import OutboxEvent
from apps.outbox.models import GlobalOutbox, ShardOutbox
from apps.outbox.signing import envelope_sign
from apps.outbox.tasks import DELIVER
from shards import map as shard_map
from shards import queues

log = logging.getLogger(__name__)

BATCH = 500
IDLE_SLEEP_MIN_S = 0.02
IDLE_SLEEP_MAX_S = 0.5


def _model_for(using: str) -> type[GlobalOutbox] | type[ShardOutbox]:
    return ShardOutbox if shard_map.is_shard_alias(using) else GlobalOutbox


def declare_topology(app: Celery) -> None:
    """Declare every queue with its bindings, so no event is published to an unbound key."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in app.amqp.queues.values():
            queue(channel).declare()


def relay_batch(app: Celery, using: str, *, batch: int = BATCH) -> int:
    """Publish up to ``batch`` rows of one database's outbox; the count published."""
    model = _model_for(using)
    origin = "global" if using == shard_map.GLOBAL_ALIAS else using
    with transaction.atomic(using=using):
        rows = list(
            model.objects.using(using).select_for_update(skip_locked=True).order_by("id")[:batch]
        )
        if not rows:
            return 0
        with app.producer_or_acquire() as producer:
            for row in rows:
                event = OutboxEvent(
                    event_id=row.event_id,
                    topic=row.topic,
                    audience=row.audience,
                    brand_id=row.brand_id,
                    origin=origin,
                    payload=row.payload,
                )
                app.send_task(
                    DELIVER,
                    args=[envelope_sign(event.envelope())],
                    exchange=queues.EVENTS.name,
                    routing_key=queues.event_routing_key(topic=row.topic, audience=row.audience),
                    task_id=str(row.event_id),
                    producer=producer,
                    retry=True,
                    retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
                )
        _forget(model, using, [row.id for row in rows])
    return len(rows)


def _forget(model: type[GlobalOutbox] | type[ShardOutbox], using: str, row_ids: list[int]) -> None:
    """Delete rows the broker has confirmed (commits with the claim, or not at all)."""
    model.objects.using(using).filter(id__in=row_ids).delete()


def databases() -> list[str]:
    return [shard_map.GLOBAL_ALIAS, *shard_map.aliases()]


def run(app: Celery, *, stop: threading.Event, batch: int = BATCH) -> None:
    """Relay until ``stop`` is set; back off while every outbox is empty."""
    declare_topology(app)
    sleep = IDLE_SLEEP_MIN_S
    failing: dict[str, tuple[float, float]] = {}  # database -> (retry at, back-off)
    while not stop.is_set():
        published = 0
        for using in databases():
            retry_at, backoff = failing.get(using, (0.0, 0.0))
            if time.monotonic() < retry_at:
                continue  # a database that is down waits its turn; the others go on
            try:
                published += relay_batch(app, using, batch=batch)
                failing.pop(using, None)
            except Exception:
                log.exception("relay failed", extra={"database": using})
                close_old_connections()
                backoff = min(max(backoff * 2, 0.5), 30.0)
                failing[using] = (time.monotonic() + backoff, backoff)
        if published:
            sleep = IDLE_SLEEP_MIN_S
            log.debug("relayed", extra={"count": published})
        else:
            stop.wait(sleep)
            sleep = min(sleep * 2, IDLE_SLEEP_MAX_S)
