"""The consumer side: the task every relayed event arrives as, on the global or a shard pool."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.outbox.events import Event
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


@shared_task(
    name=DELIVER,
    base=PlatformTask,
    acks_late=True,
    autoretry_for=(Exception,),
    dont_autoretry_for=(WrongPool,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=None,
)
def deliver(envelope: dict[str, Any]) -> bool:
    event = Event.from_envelope(envelope)
    return event_apply_once(event=event, using=database_for(event.audience))
