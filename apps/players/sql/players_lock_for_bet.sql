-- players_lock_for_bet(player, brand): lock the player's row for a bet (one placement at a
-- time per player, until the caller's transaction ends) and say whether they may bet on the
-- brand: true for an active account of that brand, false for a closed one or another brand's,
-- NULL when there is no such player.
-- PL/pgSQL rather than SQL: a row lock cannot be inlined, and a PL/pgSQL function keeps its
-- statement's plan for the connection where a SQL function would plan it again in every
-- transaction (every bet).
-- Reads: players_player (by primary key). Writes nothing.
-- Locks: the player's players_player row, FOR UPDATE.
CREATE OR REPLACE FUNCTION players_lock_for_bet(p_player bigint, p_brand integer)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_may_bet boolean;
BEGIN
    SELECT p.is_active AND p.brand_id = p_brand INTO v_may_bet
    FROM players_player p WHERE p.id = p_player FOR UPDATE;
    RETURN v_may_bet;
END $$;
