"""``bets_place``: write a validated bet in one statement (the placement's only write);
``bets_take_liability``, the guarded raise of a bet's liability it shares with ``risk.take``; and
the liability rows' count of bets and what was last announced to the global tier.

Placement validates in Python against what it read under its locks (the player's row, the
lines); this function then writes, in the caller's transaction: the bet, its legs, this shard's
liability on each leg's outcome (refused beyond the shard's quota, rows taken in (market,
outcome) order so that two multiples on the same lines cannot deadlock), and, for a bet accepted
at once, the stake's debit through
``wallet_post`` with the wallet's prepared arguments (key ``bet:<id>:stake``). A refusal raises:
``BL001`` (liability; DETAIL is the leg's position), the wallet's balance CHECK, or the slip's
unique constraint (the same slip placed concurrently).
"""

from django.db import migrations, models

SQL = """
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
"""

REVERSE = (
    "DROP FUNCTION IF EXISTS bets_take_liability(jsonb, bigint, bigint, bigint);"
    "DROP FUNCTION IF EXISTS bets_place(bigint, integer, text, text, text, text, text, integer,"
    " bigint, bigint, bigint, text, boolean, text, jsonb, bigint, text, bigint, bigint, bigint[]);"
)


class Migration(migrations.Migration):
    dependencies = [
        ("bets", "0003_settlement_postings"),
        ("wallet", "0004_wallet_post_function"),
    ]
    operations = [
        migrations.AddField(
            model_name="lineliability",
            name="bets",
            field=models.IntegerField(default=0, db_default=0),
        ),
        migrations.AddField(
            model_name="lineliability",
            name="sent_stakes",
            field=models.BigIntegerField(
                default=0, db_default=0, help_text="as last announced to the global tier"
            ),
        ),
        migrations.AddField(
            model_name="lineliability",
            name="sent_liability",
            field=models.BigIntegerField(default=0, db_default=0),
        ),
        migrations.AddField(
            model_name="lineliability",
            name="sent_bets",
            field=models.IntegerField(default=0, db_default=0),
        ),
        migrations.RunSQL(SQL, REVERSE, hints={"home": "shard"}),
    ]
