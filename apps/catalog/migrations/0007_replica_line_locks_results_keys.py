"""The catalog's own functions and view over its shard replica that settlement and the liability
announcements use instead of the replica's tables (``apps/catalog/sql/``):
``catalog_replica_lines_lock``, ``catalog_replica_result_standing``, ``catalog_replica_line_keys``.
"""

from django.db import migrations

from shards.sql import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_catalog_replica_lines")]
    operations = [
        run_sql_file(
            __file__,
            "sql/catalog_replica_lines_lock.sql",
            reverse_sql="DROP FUNCTION IF EXISTS catalog_replica_lines_lock(bigint[], integer[], text[]);",
        ),
        run_sql_file(
            __file__,
            "sql/catalog_replica_result_standing.sql",
            reverse_sql="DROP FUNCTION IF EXISTS catalog_replica_result_standing(bigint, integer, text);",
        ),
        run_sql_file(
            __file__,
            "sql/catalog_replica_line_keys.sql",
            reverse_sql="DROP VIEW IF EXISTS catalog_replica_line_keys;",
        ),
    ]
