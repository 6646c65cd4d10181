"""The dead-letter table: events a consumer gave up on (or refused), counted and replayed.

An event that still fails after its last retry (``apps.outbox.retry``) is parked here with the
error and the number of attempts, in the global database; ``manage.py outbox_replay`` sends it
again to the one pool that failed, where the inbox applies it once even if it had gone through
meanwhile. An event without a valid signature is parked too (``invalid_signature``), and never
replayed: the replay checks the signature again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apps.outbox.events import DELIVER
from apps.outbox.models import DeadLetter
from apps.outbox.signing import envelope_valid
from shards import map as shard_map
from shards import queues

Reason = DeadLetter.Reason


def _event_id(envelope: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(envelope.get("event_id")))
    except ValueError:
        return uuid.UUID(int=0)  # a forged envelope may carry anything


def dead_letter_park(
    *, envelope: Any, queue: str, reason: str, error: str, attempts: int
) -> DeadLetter:
    """Park an event for ``queue``'s pool (the same event, pool and reason: one row, updated)."""
    envelope = envelope if isinstance(envelope, dict) else {"malformed": str(envelope)[:2000]}
    with transaction.atomic(using=shard_map.GLOBAL_ALIAS):
        letter, _ = DeadLetter.objects.using(shard_map.GLOBAL_ALIAS).update_or_create(
            event_id=_event_id(envelope),
            queue=queue[:40],
            reason=reason,
            defaults={
                "topic": str(envelope.get("topic", ""))[:100],
                "envelope": envelope,
                "error": error[:2000],
                "attempts": attempts,
                "parked_at": timezone.now(),
            },
        )
    return letter


def dead_letter_counts() -> dict[str, int]:
    """How many events are parked, by reason (every reason, zero included)."""
    counts = dict.fromkeys(Reason.values, 0)
    rows = (
        DeadLetter.objects.using(shard_map.GLOBAL_ALIAS)
        .values_list("reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts.update(dict(rows))
    return counts


@dataclass
class Replay:
    replayed: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # the signature does not hold
    missing: list[int] = field(default_factory=list)


def dead_letter_replay(app: Celery, *, ids: list[int] | None) -> Replay:
    """Send parked events (``ids``, or every ``retries_exhausted`` one) back to the pool that
    failed them, and forget them once the broker has confirmed (all in one transaction)."""
    report = Replay()
    with transaction.atomic(using=shard_map.GLOBAL_ALIAS):
        letters = DeadLetter.objects.using(shard_map.GLOBAL_ALIAS).select_for_update(
            skip_locked=True
        )
        if ids is None:
            letters = letters.filter(reason=Reason.RETRIES_EXHAUSTED)
        else:
            letters = letters.filter(id__in=ids)
        letters = list(letters.order_by("id"))
        if ids is not None:
            report.missing = sorted(set(ids) - {letter.id for letter in letters})
        with app.producer_or_acquire() as producer:
            for letter in letters:
                if not envelope_valid(letter.envelope):
                    report.refused.append(letter.id)
                    continue
                app.send_task(
                    DELIVER,
                    args=[letter.envelope],
                    exchange=queues.TASKS.name,
                    routing_key=letter.queue,
                    task_id=str(letter.event_id),
                    producer=producer,
                    retry=True,
                    retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
                )
                report.replayed.append(letter.id)
        DeadLetter.objects.using(shard_map.GLOBAL_ALIAS).filter(id__in=report.replayed).delete()
    return report


def dead_letter_discard(*, ids: list[int]) -> int:
    """Delete parked events (a forged one, once looked at); the number deleted."""
    deleted, _ = DeadLetter.objects.using(shard_map.GLOBAL_ALIAS).filter(id__in=ids).delete()
    return deleted
