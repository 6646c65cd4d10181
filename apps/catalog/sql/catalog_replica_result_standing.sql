-- catalog_replica_result_standing(event, market, specifiers): the line's settlement that still
-- stands in this shard's replica: the newest 'settle' result newer than any rollback of a
-- settlement of the line, or no row. What a resettlement pays by (bets: settlement).
-- A LANGUAGE sql STABLE function of one SELECT: the planner inlines it into the caller's query.
-- Reads: catalog_replicaresult (by (event_id, market_id)). Writes nothing.
-- Locks: none (a plain read in the caller's snapshot).
CREATE OR REPLACE FUNCTION catalog_replica_result_standing(
    p_event bigint, p_market integer, p_specifiers text
) RETURNS TABLE (outcomes jsonb, ts bigint)
LANGUAGE sql STABLE AS $$
SELECT r.outcomes, r.ts FROM catalog_replicaresult r
WHERE r.event_id = p_event AND r.market_id = p_market AND r.specifiers = p_specifiers
  AND r.kind = 'settle' AND r.ts > COALESCE((
      SELECT max(b.ts) FROM catalog_replicaresult b
      WHERE b.event_id = r.event_id AND b.market_id = r.market_id
        AND b.specifiers = r.specifiers AND b.kind = 'rollback_settle'), 0)
ORDER BY r.ts DESC LIMIT 1
$$;
