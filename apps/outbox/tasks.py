"""The consumer side: the task every relayed event arrives as, on the global or a shard pool.

An event is applied only if its signature holds (``apps.outbox.signing``); one that does not is
parked as ``invalid_signature`` with a warning and never applied. An event that fails is retried
on this pool's own queue with the delays of ``apps.outbox.retry``, then parked in the dead-letter
table (``apps.outbox.dead_letters``) for ``manage.py outbox_replay``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import celeryd_after_setup
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.outbox.dead_letters import Reason, dead_letter_park
from apps.outbox.events import DELIVER, OutboxEvent
from apps.outbox.retry import retry_delays
from apps.outbox.services import event_apply_once
from apps.outbox.signing import envelope_valid, signing_key_check
from shards import map as shard_map
from shards import queues
from shards.tasks import PlatformTask, WrongPool, pool_shard

__all__ = ["DELIVER", "database_for", "deliver"]

log = logging.getLogger(__name__)


@celeryd_after_setup.connect
def _refuse_to_start_without_a_signing_key(sender, instance, **kwargs) -> None:
    """A worker checks every outbox event it consumes: without the key it would park them all."""
    try:
        signing_key_check()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"refusing to start: {exc}") from None


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


def own_queue() -> str:
    """This pool's own queue: ``global`` or ``shard.<k>``."""
    shard = pool_shard()
    return queues.GLOBAL if shard is None else queues.shard_queue_name(shard)


def _queue_of(using: str) -> str:
    if using == shard_map.GLOBAL_ALIAS:
        return queues.GLOBAL
    return queues.shard_queue_name(shard_map.number_of(using))


def delays() -> list[float]:
    return retry_delays(
        first_s=settings.OUTBOX_RETRY_FIRST_S,
        max_s=settings.OUTBOX_RETRY_MAX_S,
        for_s=settings.OUTBOX_RETRY_FOR_S,
    )


def _refuse(envelope: Any) -> bool:
    data = envelope if isinstance(envelope, dict) else {}
    log.warning(
        "outbox event refused: invalid signature",
        extra={
            "event_id": str(data.get("event_id", ""))[:40],
            "topic": str(data.get("topic", ""))[:100],
            "key_id": str(data.get("key_id", ""))[:40],
        },
    )
    try:
        dead_letter_park(
            envelope=envelope,
            queue=own_queue(),
            reason=Reason.INVALID_SIGNATURE,
            error="unsigned, altered, or signed with a key the platform does not hold",
            attempts=1,
        )
    except Exception:
        log.exception("a refused outbox event could not be parked; dropped")
    return False


@shared_task(bind=True, name=DELIVER, base=PlatformTask, acks_late=True, max_retries=None)
def deliver(self, envelope: dict[str, Any]) -> bool:
    if not envelope_valid(envelope):
        return _refuse(envelope)
    event = OutboxEvent.from_envelope(envelope)
    using = database_for(event.audience)
    try:
        return event_apply_once(event=event, using=using)
    except Exception as exc:
        schedule, attempt = delays(), self.request.retries
        countdown = schedule[attempt] if attempt < len(schedule) else settings.OUTBOX_RETRY_MAX_S
        if attempt >= len(schedule):
            try:
                dead_letter_park(
                    envelope=envelope,
                    queue=_queue_of(using),
                    reason=Reason.RETRIES_EXHAUSTED,
                    error=f"{type(exc).__name__}: {exc}",
                    attempts=attempt + 1,
                )
            except Exception:
                # Nowhere to park it either: keep it on the broker and go on trying.
                log.exception(
                    "outbox event could not be parked; retrying",
                    extra={"event_id": str(event.event_id), "topic": event.topic},
                )
            else:
                log.error(
                    "outbox event parked in the dead-letter table",
                    extra={"event_id": str(event.event_id), "topic": event.topic},
                )
                return False
        # Retry on this pool's own queue: the event may have reached every shard, and only this
        # one failed to apply it.
        own = _queue_of(using)
        raise self.retry(
            exc=exc,
            countdown=countdown,
            exchange=queues.TASKS.name,
            routing_key=own,
            queue=queues.broker_name(own),
        ) from exc
