-- bets_take_liability(legs, stake, potential, quota): raise each leg's line liability on this
-- shard, refused (BL001, DETAIL the leg's position) beyond the shard's quota. Shared by
-- bets_place and risk.liability_take.
-- Reads and writes: bets_lineliability (insert or guarded update of each leg's row).
-- Locks, in order: the row of each (market, outcome) of the legs, in (market, outcome) order,
--   so two multiples on the same lines cannot deadlock.
CREATE OR REPLACE FUNCTION bets_take_liability(
    p_legs jsonb, p_stake bigint, p_potential bigint, p_quota bigint
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_line record;
BEGIN
    FOR v_line IN
        SELECT t.m, t.o, t.p AS pos
        FROM jsonb_to_recordset(p_legs) AS t(p smallint, m bigint, o text)
        ORDER BY t.m, t.o
    LOOP
        IF p_potential > p_quota THEN
            RAISE EXCEPTION 'liability limit' USING ERRCODE = 'BL001', DETAIL = v_line.pos::text;
        END IF;
        INSERT INTO bets_lineliability AS l (market, outcome_id, stakes, liability, bets)
        VALUES (v_line.m, v_line.o, p_stake, p_potential, 1)
        ON CONFLICT (market, outcome_id) DO UPDATE
            SET stakes = l.stakes + excluded.stakes, liability = l.liability + excluded.liability,
                bets = l.bets + 1
            WHERE l.liability + excluded.liability <= p_quota;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'liability limit' USING ERRCODE = 'BL001', DETAIL = v_line.pos::text;
        END IF;
    END LOOP;
END $$;
