-- catalog_replica_line_keys: each line of this shard's replica by its id, with the key the
-- global tier knows it by (event, market, specifiers). What the shard's liability announcements
-- name their lines with (bets: risk.liability_announce).
-- A plain view: the planner inlines it into the caller's query.
-- Reads: catalog_replicamarket (by its primary key). Writes nothing. Locks: none.
CREATE OR REPLACE VIEW catalog_replica_line_keys AS
SELECT m.id, m.event_id, m.market_id, m.specifiers FROM catalog_replicamarket m;
