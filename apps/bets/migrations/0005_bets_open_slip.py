"""``bets_lines``: the shard replica's view of market lines (what placement, the live decision
and cash-out validate against); ``bets_open_slip``: a placement's first round trip, the player's
row locked, the lines' advisory locks taken and the lines read, in one call.

The lines must be read in a snapshot taken after the locks were granted: a settlement holds a
line's advisory lock exclusively until it commits, and a placement that waited for it must see
its result. One SQL statement has one snapshot, taken before its locks are awaited, so the
locks and the read were two statements (two round trips). In a PL/pgSQL function each statement
takes a new snapshot (READ COMMITTED), so the function locks first and reads after.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION bets_lines(p_markets bigint[])
RETURNS TABLE (id bigint, event_id bigint, market_id integer, specifiers varchar,
               status smallint, outcomes jsonb, event_status smallint, event_live boolean,
               sport_id integer, urn varchar, producer_down boolean, desk_suspended boolean,
               resulted boolean)
LANGUAGE sql STABLE AS $$
SELECT m.id, m.event_id, m.market_id, m.specifiers, m.status, m.outcomes, e.status, e.live,
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

CREATE OR REPLACE FUNCTION bets_open_slip(
    p_brand integer, p_slip_key text, p_player bigint, p_markets bigint[]
) RETURNS TABLE (player_ok boolean, stake_factor numeric, max_stake bigint, has_limits boolean,
                 earlier bigint, id bigint, event_id bigint, market_id integer,
                 specifiers varchar, status smallint, outcomes jsonb, event_status smallint,
                 event_live boolean, sport_id integer, urn varchar, producer_down boolean,
                 desk_suspended boolean, resulted boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_active boolean;
    v_brand integer;
BEGIN
    -- One placement at a time per player: their row locked for the transaction.
    SELECT p.is_active, p.brand_id INTO v_active, v_brand
    FROM players_player p WHERE p.id = p_player FOR UPDATE;
    IF NOT FOUND OR NOT v_active OR v_brand <> p_brand THEN
        player_ok := false;
        RETURN NEXT;
        RETURN;
    END IF;
    player_ok := true;
    SELECT r.stake_factor, r.max_stake INTO stake_factor, max_stake
    FROM bets_playerrisk r WHERE r.player_id = p_player;
    has_limits := EXISTS (SELECT 1 FROM bets_playerlimit l WHERE l.player_id = p_player);
    SELECT b.id INTO earlier FROM bets_bet b
    WHERE b.player_id = p_player AND b.slip_key = p_slip_key;
    IF earlier IS NOT NULL THEN
        RETURN NEXT;  -- the same slip again: nothing more to read
        RETURN;
    END IF;
    -- Each line shared, in id order (a settlement takes it exclusively), only with the player's
    -- lock held: a placement never waits for a player while holding a line.
    PERFORM pg_advisory_xact_lock_shared(x.m)
    FROM (SELECT DISTINCT m FROM unnest(p_markets) AS m ORDER BY m) x;
    -- A new statement, a new snapshot: what a settlement committed while we waited is seen.
    RETURN QUERY
    SELECT true, stake_factor, max_stake, has_limits, NULL::bigint, l.*
    FROM (SELECT 1) one LEFT JOIN bets_lines(p_markets) l ON true;
END $$;
"""

REVERSE = (
    "DROP FUNCTION IF EXISTS bets_open_slip(integer, text, bigint, bigint[]);"
    "DROP FUNCTION IF EXISTS bets_lines(bigint[]);"
)


class Migration(migrations.Migration):
    # bets_lines is SQL, checked when created: the replica's tables must exist.
    dependencies = [("bets", "0004_bets_place_function"), ("catalog", "0004_feed_review_fixes")]
    operations = [migrations.RunSQL(SQL, REVERSE, hints={"home": "shard"})]
