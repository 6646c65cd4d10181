-- bets_turnover_changes(): statement-level triggers on bets_bet and bets_cashout that record
-- what each statement changed in its brands' daily figures (stakes and count of accepted bets,
-- payouts, open liability) as one bets_turnoverchange row per brand and UTC day, for
-- turnover.turnover_announce to send to the global tier. A bet counts once it is accepted
-- (open, settled or cashed out; not while pending, not if refused) with the stake it was placed
-- with (``staked``); its payout when settled or cashed out whole (``payout``: a resettlement's
-- new figure counts as the difference); a partial cash-out's amount when paid; its potential
-- payout as open liability while open.
-- Reads: the statement's transition tables (old_rows, new_rows); bets_bet (a cash-out's brand).
-- Writes: bets_turnoverchange (insert). Locks: none beyond the inserts.
CREATE OR REPLACE FUNCTION bets_turnover_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'bets_bet' AND TG_OP = 'INSERT' THEN
        INSERT INTO bets_turnoverchange (brand_id, day, product, stakes, bets, payouts, liability)
        SELECT n.brand_id, (now() AT TIME ZONE 'UTC')::date, 'sportsbook',
               SUM(n.staked), COUNT(*), SUM(n.payout),
               SUM(CASE WHEN n.status = 'open' THEN n.potential_payout ELSE 0 END)
        FROM new_rows n
        WHERE n.status IN ('open', 'settled', 'cashed_out')
        GROUP BY n.brand_id;
    ELSIF TG_TABLE_NAME = 'bets_bet' THEN
        INSERT INTO bets_turnoverchange (brand_id, day, product, stakes, bets, payouts, liability)
        SELECT brand_id, (now() AT TIME ZONE 'UTC')::date, 'sportsbook',
               SUM(stakes), SUM(bets), SUM(payouts), SUM(liability)
        FROM (
            SELECT n.brand_id,
                   CASE WHEN n.status IN ('open', 'settled', 'cashed_out') THEN n.staked ELSE 0 END
                   - CASE WHEN o.status IN ('open', 'settled', 'cashed_out') THEN o.staked ELSE 0 END
                       AS stakes,
                   CASE WHEN n.status IN ('open', 'settled', 'cashed_out') THEN 1 ELSE 0 END
                   - CASE WHEN o.status IN ('open', 'settled', 'cashed_out') THEN 1 ELSE 0 END
                       AS bets,
                   n.payout - o.payout AS payouts,
                   CASE WHEN n.status = 'open' THEN n.potential_payout ELSE 0 END
                   - CASE WHEN o.status = 'open' THEN o.potential_payout ELSE 0 END AS liability
            FROM new_rows n JOIN old_rows o ON o.id = n.id
        ) d
        GROUP BY brand_id
        HAVING (SUM(stakes), SUM(bets), SUM(payouts), SUM(liability)) <> (0, 0, 0, 0);
    ELSIF TG_OP = 'INSERT' THEN
        -- A partial cash-out paid (a whole one is the bet's payout, counted above).
        INSERT INTO bets_turnoverchange (brand_id, day, product, stakes, bets, payouts, liability)
        SELECT b.brand_id, (now() AT TIME ZONE 'UTC')::date, 'sportsbook', 0, 0, SUM(c.amount), 0
        FROM new_rows c JOIN bets_bet b ON b.id = c.bet_id
        WHERE c.status = 'paid' AND c.unit_stake_after > 0
        GROUP BY b.brand_id;
    ELSE
        -- A partial cash-out paid after its in-play delay.
        INSERT INTO bets_turnoverchange (brand_id, day, product, stakes, bets, payouts, liability)
        SELECT b.brand_id, (now() AT TIME ZONE 'UTC')::date, 'sportsbook', 0, 0, SUM(c.amount), 0
        FROM new_rows c JOIN old_rows o ON o.id = c.id JOIN bets_bet b ON b.id = c.bet_id
        WHERE c.status = 'paid' AND o.status <> 'paid' AND c.unit_stake_after > 0
        GROUP BY b.brand_id;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS bets_bet_turnover_insert ON bets_bet;
CREATE TRIGGER bets_bet_turnover_insert AFTER INSERT ON bets_bet
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bets_turnover_changes();
DROP TRIGGER IF EXISTS bets_bet_turnover_update ON bets_bet;
CREATE TRIGGER bets_bet_turnover_update AFTER UPDATE ON bets_bet
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bets_turnover_changes();
DROP TRIGGER IF EXISTS bets_cashout_turnover_insert ON bets_cashout;
CREATE TRIGGER bets_cashout_turnover_insert AFTER INSERT ON bets_cashout
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bets_turnover_changes();
DROP TRIGGER IF EXISTS bets_cashout_turnover_update ON bets_cashout;
CREATE TRIGGER bets_cashout_turnover_update AFTER UPDATE ON bets_cashout
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bets_turnover_changes();
