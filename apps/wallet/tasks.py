"""The wallet's work on each shard's pool: voiding reservations that timed out, sweeping the
operator-wallet calls a crash left pending, and (defined in ``apps.wallet.external``, beside the
calls they repeat) the retried rollbacks and credits of the external wallet."""

from __future__ import annotations

import logging

from django.db import connections

from apps.wallet import external
from apps.wallet.api import wallet_void
from apps.wallet.errors import ReservationClosed
from apps.wallet.external import credit_until_acknowledged, rollback_until_acknowledged
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


@shard_task(name="wallet.external_sweep")
def external_sweep(*, shard: int) -> int:
    return external.unsettled_sweep(shard=shard)


__all__ = [
    "credit_until_acknowledged",
    "expire_reservations",
    "external_sweep",
    "reservations_expire",
    "rollback_until_acknowledged",
]
