-- bets_open_slip as migration bets/0005 created it, reading players_player itself; bets/0009
-- replaced it with a call of the players' players_lock_for_bet. Loaded only by bets/0005 (and as
-- bets/0009's reverse).
-- Reads: players_player, bets_playerrisk, bets_playerlimit, bets_bet, then bets_lines.
-- Writes nothing.
-- Locks, in order: the player's players_player row (FOR UPDATE); then a shared transaction
--   advisory lock on each market line id, in id order.
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
