"""Transfers and operations are history: the database refuses to change or delete them.

(TRUNCATE, an owner-only reset of a whole table, is left to the database's owner.) The trigger
function and its triggers: ``apps/wallet/sql/wallet_refuse_change.sql``.
"""

from django.db import migrations

from shards.sql import run_sql_file

REVERSE = """
DROP TRIGGER IF EXISTS wallet_transfer_immutable ON wallet_transfer;
DROP TRIGGER IF EXISTS wallet_operation_immutable ON wallet_operation;
DROP FUNCTION IF EXISTS wallet_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]
    operations = [run_sql_file(__file__, "sql/wallet_refuse_change.sql", reverse_sql=REVERSE)]
