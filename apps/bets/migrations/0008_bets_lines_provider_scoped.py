"""``bets_lines``: a line is closed by its own provider's producer being down, not by any
provider's producer of the same number (the replica's event now records its provider).

A line of an event whose provider is not known yet (a replica older than the provider column
that no fixture has refreshed since: see ``catalog/0005``) stays closed while any provider's
producer of its number is down.
"""

from django.db import migrations

COLUMNS = """
RETURNS TABLE (id bigint, event_id bigint, market_id integer, specifiers varchar,
               status smallint, outcomes jsonb, event_status smallint, event_live boolean,
               sport_id integer, urn varchar, producer_down boolean, desk_suspended boolean,
               resulted boolean)
LANGUAGE sql STABLE AS $$
"""

SQL = (
    "CREATE OR REPLACE FUNCTION bets_lines(p_markets bigint[])"
    + COLUMNS
    + """SELECT m.id, m.event_id, m.market_id, m.specifiers, m.status, m.outcomes, e.status, e.live,
       e.sport_id, e.urn,
       EXISTS (SELECT 1 FROM catalog_replicaproducer p
               WHERE p.provider = e.provider AND p.producer = m.producer AND p.down)
       OR (e.provider = '' AND EXISTS (SELECT 1 FROM catalog_replicaproducer p
                                       WHERE p.producer = m.producer AND p.down)),
       EXISTS (SELECT 1 FROM catalog_replicadesk d
               WHERE d.suspended AND ((d.kind = 'market' AND d.target_id = m.id)
                                      OR (d.kind = 'event' AND d.target_id = m.event_id))),
       EXISTS (SELECT 1 FROM catalog_replicaresult r
               WHERE r.event_id = m.event_id AND r.market_id = m.market_id
                 AND r.specifiers = m.specifiers AND r.kind IN ('settle', 'cancel'))
FROM catalog_replicamarket m JOIN catalog_replicaevent e ON e.id = m.event_id
WHERE m.id = ANY(p_markets)
$$;
"""
)

# As bets/0005 created it.
REVERSE = (
    "CREATE OR REPLACE FUNCTION bets_lines(p_markets bigint[])"
    + COLUMNS
    + """SELECT m.id, m.event_id, m.market_id, m.specifiers, m.status, m.outcomes, e.status, e.live,
       e.sport_id, e.urn,
       EXISTS (SELECT 1 FROM catalog_replicaproducer p WHERE p.producer = m.producer AND p.down),
       EXISTS (SELECT 1 FROM catalog_replicadesk d
               WHERE d.suspended AND ((d.kind = 'market' AND d.target_id = m.id)
                                      OR (d.kind = 'event' AND d.target_id = m.event_id))),
       EXISTS (SELECT 1 FROM catalog_replicaresult r
               WHERE r.event_id = m.event_id AND r.market_id = m.market_id
                 AND r.specifiers = m.specifiers AND r.kind IN ('settle', 'cancel'))
FROM catalog_replicamarket m JOIN catalog_replicaevent e ON e.id = m.event_id
WHERE m.id = ANY(p_markets)
$$;
"""
)


class Migration(migrations.Migration):
    dependencies = [("bets", "0007_settlement_runs"), ("catalog", "0005_replicaevent_provider")]
    operations = [migrations.RunSQL(SQL, REVERSE, hints={"home": "shard"})]
