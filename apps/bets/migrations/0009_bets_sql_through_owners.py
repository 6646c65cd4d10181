"""The bets' functions reach other apps' tables only through functions those apps own:
``bets_lines`` reads the catalog's ``catalog_replica_lines``, and ``bets_open_slip`` locks the
player through the players' ``players_lock_for_bet``. What they return is unchanged.

The functions' text: ``apps/bets/sql/bets_lines.sql``, ``apps/bets/sql/bets_open_slip.sql``.
"""

from django.db import migrations

from shards.sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("bets", "0008_bets_lines_provider_scoped"),
        ("catalog", "0006_catalog_replica_lines"),
        ("players", "0002_players_lock_for_bet"),
    ]
    operations = [
        run_sql_file(
            __file__, "sql/bets_lines.sql", reverse_file="sql/versions/bets_lines.0008.sql"
        ),
        run_sql_file(
            __file__,
            "sql/bets_open_slip.sql",
            reverse_file="sql/versions/bets_open_slip.0005.sql",
        ),
    ]
