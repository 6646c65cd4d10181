"""Scheduled wallet work on each shard's pool: voiding reservations that timed out."""

from __future__ import annotations

import logging

from django.db import connections

from apps.wallet import external
from apps.wallet.api import wallet_void
from apps.wallet.errors import ReservationClosed
from shards import map as shard_map
from shards.tasks import shard_task

log = logging.getLogger(__name__)
BATCH = 500


def reservations_expire(*, shard: int, batch: int = BATCH) -> int:
    """Void up to ``batch`` expired open reservations of one shard; how many were voided."""
    with connections[shard_map.alias(shard)].cursor() as cursor:
        cursor.execute(
            "SELECT id, brand_id, player_id, currency FROM wallet_reservation "
            "WHERE status = 'open' AND expires_at < now() ORDER BY expires_at LIMIT %s",
            [batch],
        )
        expired = cursor.fetchall()
    voided = 0
    for reservation_id, brand_id, player_id, currency in expired:
        try:
            wallet_void(
                brand_id=brand_id,
                player_id=player_id,
                currency=currency,
                reservation_id=reservation_id,
                idempotency_key=f"expire:{reservation_id}",
                details={"reason": "expired"},
            )
        except ReservationClosed:
            continue  # committed or voided meanwhile: nothing to do
        voided += 1
    if voided:
        log.info("reservations expired", extra={"shard": shard, "count": voided})
    return voided


@shard_task(name="wallet.expire_reservations")
def expire_reservations(*, shard: int) -> int:
    return reservations_expire(shard=shard)


@shard_task(bind=True, name="wallet.external_rollback", max_retries=None, acks_late=True)
def external_rollback(self, *, player_id: int, operation_id: int) -> None:
    """Send a failed debit's rollback until the operator's wallet acknowledges it."""
    if not external.rollback_send(using=shard_map.alias_for(player_id), op_id=operation_id):
        raise self.retry(countdown=min(60, 2 ** min(self.request.retries, 6)))


@shard_task(bind=True, name="wallet.external_credit", max_retries=None, acks_late=True)
def external_credit(self, *, player_id: int, operation_id: int) -> None:
    """Deliver a credit the platform owes until the operator's wallet acknowledges it."""
    outcome = external.credit_deliver(using=shard_map.alias_for(player_id), op_id=operation_id)
    if outcome == "unavailable":
        raise self.retry(countdown=min(60, 2 ** min(self.request.retries, 6)))


@shard_task(name="wallet.external_sweep")
def external_sweep(*, shard: int) -> int:
    return external.unsettled_sweep(shard=shard)
