"""Global-tier consumers of shard events (applied once each, by apps.outbox)."""

from django.db import connections

from apps.backoffice.models import BrandDay, BrandStats
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


@handles("brand.turnover", tier="global")
def fold_turnover(event: OutboxEvent, using: str) -> None:
    """Add a shard's changes to brands' daily figures (``BrandDay``): rows of ``[brand_id,
    "YYYY-MM-DD", product, stakes, bets, payouts, liability]`` (``apps.bets.turnover``)."""
    rows = event.payload["days"]
    if not rows:
        return
    table = BrandDay._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (brand_id, day, product, stakes, bets, payouts, "  # noqa: S608
            "liability_change, updated_at) "
            "SELECT b, d, p, s, n, o, l, now() FROM unnest(%s::int[], %s::date[], %s::text[], "
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS x(b, d, p, s, n, o, l) "
            "WHERE EXISTS (SELECT 1 FROM brands_brand WHERE id = x.b) "
            "ORDER BY b, d, p "
            "ON CONFLICT (brand_id, day, product) DO UPDATE SET "
            f"stakes = {table}.stakes + excluded.stakes, bets = {table}.bets + excluded.bets, "
            f"payouts = {table}.payouts + excluded.payouts, "
            f"liability_change = {table}.liability_change + excluded.liability_change, "
            "updated_at = now()",
            [[r[i] for r in rows] for i in range(7)],
        )
