"""``wallet_post``: claim an idempotency key and post balanced transfers in one statement.

The hot operations (credit, debit, transfers between a player's accounts, adjustments) make one
round trip: the function claims the key (or finds the earlier operation and compares its
fingerprint), updates the balances in ascending account id order (the lock order of every
posting), inserts the immutable transfers with the balances after each, and returns the player's
balances. The CHECK constraint still refuses a negative player balance inside it. The
function's text: ``apps/wallet/sql/wallet_post.sql``.
"""

from django.db import migrations

from shards.sql import run_sql_file

DROP = (
    "DROP FUNCTION IF EXISTS wallet_post(integer, bigint, text, text, text, text, bigint,"
    " text, jsonb, bigint[], bigint[], bigint[], bigint[]);"
)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0003_alter_account_product_externalcall")]
    operations = [run_sql_file(__file__, "sql/wallet_post.sql", reverse_sql=DROP)]
