"""``bets_place``: write a validated bet in one statement (the placement's only write);
``bets_take_liability``, the guarded raise of a bet's liability it shares with ``risk.liability_take``; and
the liability rows' count of bets and what was last announced to the global tier.

Placement validates in Python against what it read under its locks (the player's row, the
lines); this function then writes, in the caller's transaction: the bet, its legs, this shard's
liability on each leg's outcome (refused beyond the shard's quota, rows taken in (market,
outcome) order so that two multiples on the same lines cannot deadlock), and, for a bet accepted
at once, the stake's debit through
``wallet_post`` with the wallet's prepared arguments (key ``bet:<id>:stake``). A refusal raises:
``BL001`` (liability; DETAIL is the leg's position), the wallet's balance CHECK, or the slip's
unique constraint (the same slip placed concurrently).

The functions' text: ``apps/bets/sql/bets_take_liability.sql``, ``apps/bets/sql/bets_place.sql``.
"""

from django.db import migrations, models

from shards.sql import run_sql_file

DROP_LIABILITY = "DROP FUNCTION IF EXISTS bets_take_liability(jsonb, bigint, bigint, bigint);"
DROP_PLACE = (
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
        run_sql_file(__file__, "sql/bets_take_liability.sql", reverse_sql=DROP_LIABILITY),
        run_sql_file(__file__, "sql/bets_place.sql", reverse_sql=DROP_PLACE),
    ]
