"""``players_lock_for_bet``: the players' own way for a product to lock a player's row for a bet
and learn whether they may bet (``apps/players/sql/players_lock_for_bet.sql``)."""

from django.db import migrations

from shards.sql import run_sql_file

DROP = "DROP FUNCTION IF EXISTS players_lock_for_bet(bigint, integer);"


class Migration(migrations.Migration):
    dependencies = [("players", "0001_initial")]
    operations = [run_sql_file(__file__, "sql/players_lock_for_bet.sql", reverse_sql=DROP)]
