"""Load the market descriptions the platform ships with, and the sports it knows."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "markets.json"
SPORTS = [
    ("sr:sport:1", "Football", 1, 8),
    ("sr:sport:5", "Tennis", 2, 5),
    ("sr:sport:2", "Basketball", 3, 6),
    ("sr:sport:109", "Counter-Strike", 10, 5),
    ("sr:sport:111", "Dota 2", 11, 5),
    ("sr:sport:110", "League of Legends", 12, 5),
]


def load(apps, schema_editor):
    db = schema_editor.connection.alias
    description = apps.get_model("catalog", "MarketDescription")
    for item in json.loads(DATA.read_text())["markets"]:
        description.objects.using(db).update_or_create(
            market_id=item["id"],
            defaults={
                "name": item["name"],
                "outcomes": item["outcomes"],
                "groups": item["groups"],
                "sports": item["sports"],
            },
        )
    sport = apps.get_model("catalog", "Sport")
    for urn, name, position, delay in SPORTS:
        sport.objects.using(db).get_or_create(
            urn=urn, defaults={"name": name, "position": position, "in_play_delay_s": delay}
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, hints={"home": "global"})
    ]
