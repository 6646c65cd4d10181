"""The workers' consumer: Celery's own, without native delayed delivery.

With quorum queues Celery would declare 28 delay exchanges and queues (``celery_delayed_*``)
outside QUEUE_NAMESPACE, shared by every installation on the broker, to carry ETA tasks through
topic exchanges. The platform routes tasks through the direct ``tasks`` exchange, which that
scheme cannot serve, so a delayed task (a live bet's in-play delay, a retry's back-off) waits in
the worker that received it, as with classic queues (docs/operations.md: prefetch).
"""

from __future__ import annotations

from celery.worker.consumer.consumer import Consumer

_DELAYED_DELIVERY = "celery.worker.consumer.delayed_delivery:DelayedDelivery"


class PlatformConsumer(Consumer):
    class Blueprint(Consumer.Blueprint):
        default_steps = [s for s in Consumer.Blueprint.default_steps if s != _DELAYED_DELIVERY]
