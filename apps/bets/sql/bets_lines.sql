-- bets_lines(markets): the lines placement, the live decision and cash-out validate against,
-- as the catalog's replica on this shard gives them (catalog_replica_lines: status, odds, event,
-- and what closes a line: its provider's producer, the desk, a result). Both are LANGUAGE sql
-- STABLE functions of one SELECT, inlined by the planner into the caller's query.
-- Reads: catalog_replica_lines (the catalog's). Writes nothing.
-- Locks: none (a plain read in the caller's snapshot).
CREATE OR REPLACE FUNCTION bets_lines(p_markets bigint[])
RETURNS TABLE (id bigint, event_id bigint, market_id integer, specifiers varchar,
               status smallint, outcomes jsonb, event_status smallint, event_live boolean,
               sport_id integer, urn varchar, producer_down boolean, desk_suspended boolean,
               resulted boolean)
LANGUAGE sql STABLE AS $$
SELECT l.id, l.event_id, l.market_id, l.specifiers, l.status, l.outcomes, l.event_status,
       l.event_live, l.sport_id, l.urn, l.producer_down, l.desk_suspended, l.resulted
FROM catalog_replica_lines(p_markets) l
$$;
