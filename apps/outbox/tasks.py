"""The consumer side: the task every relayed event arrives as, on the global or a shard pool."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.outbox.events import OutboxEvent
from apps.outbox.services import event_apply_once
from shards import map as shard_map
from shards import queues
from shards.tasks import PlatformTask, WrongPool, pool_shard

DELIVER = "outbox.deliver"


def database_for(audience: str) -> str:
    """Where an event for ``audience`` is applied by this worker process."""
    if audience == queues.GLOBAL:
        return shard_map.GLOBAL_ALIAS
    shard = pool_shard()
    if shard is None:
        raise WrongPool(f"an event for {audience} reached a worker that is not a shard pool")
    if audience.startswith("shard.") and audience != queues.shard_queue_name(shard):
        raise WrongPool(f"an event for {audience} reached the pool of shard {shard}")
    return shard_map.alias(shard)


MAX_RETRIES = 20  # with the back-off below, about twenty minutes of trying


@shared_task(bind=True, name=DELIVER, base=PlatformTask, acks_late=True, max_retries=MAX_RETRIES)
def deliver(self, envelope: dict[str, Any]) -> bool:
    event = OutboxEvent.from_envelope(envelope)
    using = database_for(event.audience)
    try:
        return event_apply_once(event=event, using=using)
    except Exception as exc:
        # Retry on this pool's own queue: the event may have reached every shard, and only this
        # one failed to apply it.
        own = (
            queues.GLOBAL
            if using == shard_map.GLOBAL_ALIAS
            else queues.shard_queue_name(shard_map.number_of(using))
        )
        raise self.retry(
            exc=exc,
            countdown=min(60, 2**self.request.retries),
            exchange=queues.TASKS.name,
            routing_key=own,
            queue=queues.broker_name(own),
        ) from exc
