-- catalog_replica_lines_lock(events, markets, specifiers): the ids of the replica's lines named
-- by the three arrays (one line per position), each row locked, in id order, so that every
-- caller locking several lines takes them in the same order. What a settlement holds while it
-- resolves a line's bets (bets: settlement.results_settle), so that the line's replication waits.
-- Volatile (it locks rows), so the planner does not inline it: the caller gets its rows once all
-- are locked, in id order.
-- Reads: catalog_replicamarket (by its unique (event_id, market_id, specifiers)). Writes nothing.
-- Locks: FOR UPDATE on each of those catalog_replicamarket rows, in id order.
CREATE OR REPLACE FUNCTION catalog_replica_lines_lock(
    p_events bigint[], p_markets integer[], p_specifiers text[]
) RETURNS TABLE (id bigint)
LANGUAGE sql AS $$
SELECT m.id
FROM catalog_replicamarket m
JOIN unnest(p_events, p_markets, p_specifiers) AS x(e, k, s)
  ON m.event_id = x.e AND m.market_id = x.k AND m.specifiers = x.s
ORDER BY m.id
FOR UPDATE OF m
$$;
