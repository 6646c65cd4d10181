"""``bets_lines``: a line is closed by its own provider's producer being down, not by any
provider's producer of the same number (the replica's event now records its provider).

A line of an event whose provider is not known yet (a replica older than the provider column
that no fixture has refreshed since: see ``catalog/0005``) stays closed while any provider's
producer of its number is down.

The function's text as this migration made it: ``apps/bets/sql/versions/bets_lines.0008.sql``
(bets/0009 replaced it).
"""

from django.db import migrations

from shards.sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("bets", "0007_settlement_runs"), ("catalog", "0005_replicaevent_provider")]
    operations = [
        run_sql_file(
            __file__,
            "sql/versions/bets_lines.0008.sql",
            reverse_file="sql/versions/bets_lines.0005.sql",
        )
    ]
