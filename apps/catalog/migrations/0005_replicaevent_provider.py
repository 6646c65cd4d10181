"""The shards' replica of an event records its provider, so a provider's producer closes only
that provider's lines.

The global catalog cannot be read from a shard. A replica written before this migration learns
its provider from the next fixture replicated for its event; until then it is filled here when
the shard has heard of a single provider's producers (every event it holds is then that
provider's), and otherwise left empty: a line of an event whose provider is not known is closed
while any provider's producer of its number is down, as before.
"""

from django.db import migrations, models

BACKFILL = """
UPDATE catalog_replicaevent e SET provider = one.provider
FROM (SELECT min(p.provider) AS provider FROM catalog_replicaproducer p
      HAVING count(DISTINCT p.provider) = 1) one
WHERE e.provider = ''
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_feed_review_fixes")]

    operations = [
        migrations.AddField(
            model_name="replicaevent",
            name="provider",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="the provider whose event it is; empty: not known yet (any provider's"
                " producer of a line's number closes it)",
                max_length=30,
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, hints={"home": "shard"}),
    ]
