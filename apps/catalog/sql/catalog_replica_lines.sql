-- catalog_replica_lines(markets): these market lines as this shard's replica of the catalog
-- holds them, with their event and what closes them: the line's own provider's producer of its
-- number being down (any provider's, for an event whose provider the replica does not know
-- yet: see catalog/0005), the trading desk's suspension of the line or its event, a settlement
-- or cancel received. What products validate a line against (bets: bets_lines).
-- A LANGUAGE sql STABLE function of one SELECT: the planner inlines it into the caller's query,
-- so each line is found by its primary key and each flag by an index.
-- Reads: catalog_replicamarket, catalog_replicaevent, catalog_replicaproducer (by its unique
--   (provider, producer)), catalog_replicadesk (by its unique (kind, target_id)),
--   catalog_replicaresult (by (event_id, market_id)). Writes nothing.
-- Locks: none (a plain read in the caller's snapshot).
CREATE OR REPLACE FUNCTION catalog_replica_lines(p_markets bigint[])
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
