"""Transfers and operations are history: the database refuses to change or delete them.

(TRUNCATE, an owner-only reset of a whole table, is left to the database's owner.)
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION wallet_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'wallet history is immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER wallet_transfer_immutable BEFORE UPDATE OR DELETE ON wallet_transfer
    FOR EACH ROW EXECUTE FUNCTION wallet_refuse_change();
CREATE TRIGGER wallet_operation_immutable BEFORE UPDATE OR DELETE ON wallet_operation
    FOR EACH ROW EXECUTE FUNCTION wallet_refuse_change();
"""

REVERSE = """
DROP TRIGGER IF EXISTS wallet_transfer_immutable ON wallet_transfer;
DROP TRIGGER IF EXISTS wallet_operation_immutable ON wallet_operation;
DROP FUNCTION IF EXISTS wallet_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE, hints={"home": "shard"})]
