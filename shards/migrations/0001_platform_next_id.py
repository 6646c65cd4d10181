"""Create, on every shard database, the functions that allocate shard-encoding ids."""

from django.db import migrations

from shards import map as shard_map
from shards.sql import sql_file


def create_id_functions(apps, schema_editor):
    shard = shard_map.number_of(schema_editor.connection.alias)
    # The file's one placeholder is the shard's number, baked into platform_shard().
    text = sql_file(__file__, "sql/platform_next_id.sql")
    schema_editor.execute(text % {"shard": int(shard)})


def drop_id_functions(apps, schema_editor):
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS platform_next_id(); DROP FUNCTION IF EXISTS platform_shard();"
        " DROP SEQUENCE IF EXISTS platform_id_seq;"
    )


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.RunPython(create_id_functions, drop_id_functions, hints={"home": "shard"}),
    ]
