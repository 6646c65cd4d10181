"""``catalog_replica_lines``: the catalog's own read of its shard replica's lines, which products
use instead of reading the replica's tables (``apps/catalog/sql/catalog_replica_lines.sql``)."""

from django.db import migrations

from shards.sql import run_sql_file

DROP = "DROP FUNCTION IF EXISTS catalog_replica_lines(bigint[]);"


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_replicaevent_provider")]
    operations = [run_sql_file(__file__, "sql/catalog_replica_lines.sql", reverse_sql=DROP)]
