-- bets_lines as migration bets/0008 made it (producers scoped by provider), reading the
-- replica's tables itself; bets/0009 replaced it with a read through the catalog's
-- catalog_replica_lines. Loaded only by bets/0008 (and as bets/0009's reverse).
-- Reads: catalog_replicamarket, catalog_replicaevent, catalog_replicaproducer,
--   catalog_replicadesk, catalog_replicaresult. Writes nothing.
-- Locks: none.
CREATE OR REPLACE FUNCTION bets_lines(p_markets bigint[])
RETURNS TABLE (id bigint, event_id bigint, market_id integer, specifiers varchar,
               status smallint, outcomes jsonb, event_status smallint, event_live boolean,
               sport_id integer, urn varchar, producer_down boolean, desk_suspended boolean,
               resulted boolean)
LANGUAGE sql STABLE AS $$
SELECT m.id, m.event_id, m.market_id, m.specifiers, m.status, m.outcomes, e.status, e.live,
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
