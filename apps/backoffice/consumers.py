"""Global-tier consumers of shard events (applied once each, by apps.outbox)."""

from django.db import connections

from apps.backoffice.models import BrandStats
from apps.outbox.services import OutboxEvent, handles


@handles("player.registered", tier="global")
def count_registration(event: OutboxEvent, using: str) -> None:
    table = BrandStats._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (brand_id, player_count, updated_at) VALUES (%s, 1, now()) "  # noqa: S608
            f"ON CONFLICT (brand_id) DO UPDATE "
            f"SET player_count = {table}.player_count + 1, updated_at = now()",
            [event.payload["brand_id"]],
        )
