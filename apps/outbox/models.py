"""Outbox and inbox tables, one pair per home.

An outbox row is written in the same transaction as the change it announces and deleted by the
relay once the broker has confirmed it. An inbox receipt is written in the same transaction as a
consumer's effect, so a redelivered event is recognised by its id and applied once.
"""

from __future__ import annotations

import uuid

from django.db import models

from shards.models import GlobalModel, ShardModel


class OutboxFields(models.Model):
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(max_length=100)
    audience = models.CharField(max_length=20, help_text="global, shards or shard.<k>")
    brand_id = models.IntegerField(null=True, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id}"


class InboxFields(models.Model):
    event_id = models.UUIDField(primary_key=True)
    topic = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id}"


class GlobalOutbox(OutboxFields, GlobalModel):
    class Meta(OutboxFields.Meta):
        verbose_name = "global outbox message"


class ShardOutbox(OutboxFields, ShardModel):
    class Meta(OutboxFields.Meta):
        verbose_name = "shard outbox message"


class GlobalInbox(InboxFields, GlobalModel):
    class Meta:
        verbose_name = "global inbox receipt"


class ShardInbox(InboxFields, ShardModel):
    class Meta:
        verbose_name = "shard inbox receipt"


class DeadLetter(GlobalModel):
    """An event a consumer could not apply (``retries_exhausted``) or would not apply
    (``invalid_signature``: no platform role signed it), parked for an operator to look at and
    replay with ``manage.py outbox_replay``. It lives in the global database, which stays
    reachable when a shard is the one that is down."""

    class Reason(models.TextChoices):
        RETRIES_EXHAUSTED = "retries_exhausted", "the consumer kept failing"
        INVALID_SIGNATURE = "invalid_signature", "unsigned or altered: no platform role wrote it"

    event_id = models.UUIDField()
    topic = models.CharField(max_length=100)
    queue = models.CharField(max_length=40, help_text="the pool that failed: global or shard.<k>")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    envelope = models.JSONField(help_text="the event as it arrived, signature included")
    error = models.TextField(blank=True)
    attempts = models.IntegerField(default=0)
    parked_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "queue", "reason"], name="outbox_deadletter_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id} ({self.reason})"
