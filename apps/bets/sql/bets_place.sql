-- bets_place(...): write a validated bet in one statement, in the caller's transaction:
-- the bet, its legs, its liability and, for a bet accepted at once, the stake's debit.
-- Writes: bets_bet (insert), bets_betleg (insert), bets_lineliability (through
--   bets_take_liability), the wallet's tables (through wallet_post, the wallet's own function).
-- Locks, in order: the slip's entry in bet_slip_once (the bet's insert: the same slip placed
--   concurrently waits, then fails); each leg's bets_lineliability row in (market, outcome)
--   order; then wallet_post's (the operation's key, the accounts' rows in id order).
CREATE OR REPLACE FUNCTION bets_place(
    p_player bigint, p_brand integer, p_currency text, p_slip_key text, p_slip_print text,
    p_kind text, p_system text, p_lines integer, p_unit_stake bigint, p_stake bigint,
    p_potential bigint, p_policy text, p_live boolean, p_status text,
    p_legs jsonb, p_quota bigint, p_wallet_print text, p_debit bigint, p_credit bigint, p_player_accounts bigint[]
) RETURNS TABLE (out_bet bigint, out_placed_at timestamptz, out_operation bigint,
                 out_balances bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    v_bet bigint;
BEGIN
    out_placed_at := now();
    INSERT INTO bets_bet (player_id, brand_id, currency, slip_key, slip_print, kind, system,
                          lines, unit_stake, stake, staked, potential_payout, odds_policy, live,
                          status, refusal, payout, owed, postings, placed_at)
    VALUES (p_player, p_brand, p_currency, p_slip_key, p_slip_print, p_kind, p_system, p_lines,
            p_unit_stake, p_stake, p_stake, p_potential, p_policy, p_live, p_status, '', 0, 0, 0,
            out_placed_at)
    RETURNING id INTO v_bet;
    out_bet := v_bet;

    INSERT INTO bets_betleg (bet_id, player_id, position, event_id, market, market_id,
                             specifiers, outcome_id, odds, status, cancelled)
    SELECT v_bet, p_player, t.p, t.e, t.m, t.mi, t.s, t.o, t.od, 'open', false
    FROM jsonb_to_recordset(p_legs)
         AS t(p smallint, e bigint, m bigint, mi integer, s text, o text, od numeric);

    PERFORM bets_take_liability(p_legs, p_stake, p_potential, p_quota);

    IF p_status = 'open' THEN
        SELECT w.out_operation, w.out_balances INTO out_operation, out_balances
        FROM wallet_post(p_brand, p_player, 'debit', 'bet:' || v_bet || ':stake', p_wallet_print,
                         p_currency, p_stake, 'sportsbook', jsonb_build_object('bet', v_bet::text),
                         ARRAY[p_debit], ARRAY[p_credit], ARRAY[p_stake], p_player_accounts) AS w;
    END IF;
    RETURN NEXT;
END $$;
