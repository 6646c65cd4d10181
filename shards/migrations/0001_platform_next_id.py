"""Create, on every shard database, the functions that allocate shard-encoding ids."""

from django.db import migrations

from shards import ids
from shards import map as shard_map


def create_id_functions(apps, schema_editor):
    shard = shard_map.number_of(schema_editor.connection.alias)
    schema_editor.execute(ids.NEXT_ID_SQL % {"shard": int(shard)})


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
