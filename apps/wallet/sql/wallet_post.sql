-- wallet_post(...): claim an idempotency key and post balanced transfers in one statement;
-- the player's balances after it.
-- Reads and writes: wallet_operation (insert, or read the earlier operation of the key),
--   wallet_account (balances updated), wallet_transfer (insert); reads wallet_account for the
--   balances returned.
-- Locks, in order: the key's entry in (brand_id, idempotency_key) (a concurrent claim of the
--   same key waits); then each account's wallet_account row, in ascending id order (the lock
--   order of every posting).
CREATE OR REPLACE FUNCTION wallet_post(
    p_brand integer, p_player bigint, p_kind text, p_key text, p_print text, p_currency text,
    p_amount bigint, p_product text, p_details jsonb,
    p_debits bigint[], p_credits bigint[], p_amounts bigint[], p_player_accounts bigint[]
) RETURNS TABLE (out_operation bigint, out_replayed boolean, out_balances bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    v_op bigint;
    v_print text;
    v_accounts bigint[];
    v_deltas bigint[];
    v_running bigint[];
    v_balance bigint;
    v_debit_after bigint;
    v_credit_after bigint;
    i integer;
    j integer;
BEGIN
    INSERT INTO wallet_operation (brand_id, player_id, kind, idempotency_key, fingerprint,
                                  currency, amount, product, details)
    VALUES (p_brand, p_player, p_kind, p_key, p_print, p_currency, p_amount, p_product, p_details)
    ON CONFLICT (brand_id, idempotency_key) DO NOTHING
    RETURNING id INTO v_op;
    IF v_op IS NULL THEN
        SELECT o.id, o.fingerprint INTO v_op, v_print
        FROM wallet_operation o WHERE o.brand_id = p_brand AND o.idempotency_key = p_key;
        IF v_print IS DISTINCT FROM p_print THEN
            RAISE EXCEPTION 'idempotency key % was used with other data', p_key
                USING ERRCODE = 'WK001';
        END IF;
        out_replayed := true;
    ELSE
        out_replayed := false;
        SELECT array_agg(m.account ORDER BY m.account), array_agg(m.delta ORDER BY m.account)
        INTO v_accounts, v_deltas
        FROM (
            SELECT t.account, sum(t.delta)::bigint AS delta FROM (
                SELECT d.account, -d.amount AS delta FROM unnest(p_debits, p_amounts) AS d(account, amount)
                UNION ALL
                SELECT c.account, c.amount FROM unnest(p_credits, p_amounts) AS c(account, amount)
            ) t GROUP BY t.account
        ) m;
        v_running := v_deltas;
        FOR i IN 1 .. coalesce(array_length(v_accounts, 1), 0) LOOP
            UPDATE wallet_account SET balance = balance + v_deltas[i]
            WHERE id = v_accounts[i] RETURNING balance INTO v_balance;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'wallet account % does not exist', v_accounts[i]
                    USING ERRCODE = 'WK002';
            END IF;
            v_running[i] := v_balance - v_deltas[i];
        END LOOP;
        FOR j IN 1 .. coalesce(array_length(p_amounts, 1), 0) LOOP
            i := array_position(v_accounts, p_debits[j]);
            v_running[i] := v_running[i] - p_amounts[j];
            v_debit_after := v_running[i];
            i := array_position(v_accounts, p_credits[j]);
            v_running[i] := v_running[i] + p_amounts[j];
            v_credit_after := v_running[i];
            INSERT INTO wallet_transfer (operation_id, debit_account_id, credit_account_id, amount,
                                         currency, debit_balance_after, credit_balance_after,
                                         created_at)
            VALUES (v_op, p_debits[j], p_credits[j], p_amounts[j], p_currency, v_debit_after,
                    v_credit_after, now());
        END LOOP;
    END IF;
    out_operation := v_op;
    SELECT array_agg(coalesce(a.balance, 0) ORDER BY t.n) INTO out_balances
    FROM unnest(p_player_accounts) WITH ORDINALITY AS t(id, n)
    LEFT JOIN wallet_account a ON a.id = t.id;
    RETURN NEXT;
END $$;
