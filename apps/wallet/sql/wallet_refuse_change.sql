-- wallet_refuse_change(): the trigger function that refuses to change or delete wallet
-- history, and its triggers on wallet_transfer and wallet_operation (before update or delete,
-- each row). TRUNCATE, an owner-only reset of a whole table, is left to the owner.
-- Reads and writes nothing; raises.
-- Locks: none of its own (creating the triggers takes SHARE ROW EXCLUSIVE on both tables).
CREATE OR REPLACE FUNCTION wallet_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'wallet history is immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER wallet_transfer_immutable BEFORE UPDATE OR DELETE ON wallet_transfer
    FOR EACH ROW EXECUTE FUNCTION wallet_refuse_change();
CREATE TRIGGER wallet_operation_immutable BEFORE UPDATE OR DELETE ON wallet_operation
    FOR EACH ROW EXECUTE FUNCTION wallet_refuse_change();
