"""Brands' daily figures (turnover, bets, payouts, open liability) from the shards to the global
tier, for the backoffice's dashboard.

The bets' triggers (``sql/bets_turnover.sql``) record what every statement changes as
``TurnoverChange`` rows, in that statement's transaction: nothing is counted for a bet that
rolled back, and nothing is missed whichever code path changed a bet. Every few seconds the
shard's pool (``bets.announce_liability``) sends them, summed per brand, day and product, as one
``brand.turnover`` outbox event and deletes them in the same transaction: each change is sent
exactly once, and the global worker folds each event once (``apps.outbox``'s inbox).
"""

from __future__ import annotations

from django.db import connections, transaction

from apps.outbox.services import outbox_emit

TOPIC = "brand.turnover"
ANNOUNCE_BATCH = 10_000

# Oldest first, skipping rows another announcement holds (two pools of one shard never send a
# change twice); summed per brand, day and product.
_TAKE = """
WITH taken AS (
    DELETE FROM bets_turnoverchange
    WHERE id IN (
        SELECT id FROM bets_turnoverchange ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
    )
    RETURNING brand_id, day, product, stakes, bets, payouts, liability
)
SELECT brand_id, to_char(day, 'YYYY-MM-DD'), product, SUM(stakes)::bigint, SUM(bets)::bigint,
       SUM(payouts)::bigint, SUM(liability)::bigint
FROM taken
GROUP BY brand_id, day, product
ORDER BY brand_id, day, product
"""


def turnover_announce(*, using: str) -> int:
    """Send the global tier this shard's unsent changes to brands' daily figures, as one event
    of ``[brand_id, "YYYY-MM-DD", product, stakes, bets, payouts, liability]`` rows; the number
    of rows sent (none: no event)."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(_TAKE, [ANNOUNCE_BATCH])
        rows = [list(r) for r in cursor.fetchall()]
        if rows:
            outbox_emit(using=using, topic=TOPIC, payload={"days": rows})
    return len(rows)


__all__ = ["TOPIC", "turnover_announce"]
