"""Every model has a declared home; using one on the wrong database raises."""

import pytest
from django.apps import apps
from django.db import connections

from apps.backoffice.models import BrandStats
from apps.outbox.models import ShardOutbox
from apps.players.models import Player
from shards import context, ids
from shards import map as shard_map
from shards.homes import Home, NoHome, ShardNotSelected, WrongHome, home_of


def test_every_installed_model_declares_its_home():
    missing = []
    for model in apps.get_models(include_auto_created=True):
        try:
            home_of(model)
        except NoHome:
            missing.append(model._meta.label)
    assert missing == []


def test_a_model_without_a_home_is_caught():
    class Stray:
        class _meta:  # noqa: N801
            app_label = "nowhere"
            label = "nowhere.Stray"

    with pytest.raises(NoHome):
        home_of(Stray)


def test_shard_model_without_a_shard_raises(clean):
    with pytest.raises(ShardNotSelected):
        Player.objects.count()
    with pytest.raises(ShardNotSelected):
        ShardOutbox(topic="x", audience="global", payload={}).save()


def test_shard_model_on_the_global_database_raises(clean):
    with pytest.raises(WrongHome):
        Player.objects.using("default").count()


def test_global_model_on_a_shard_raises(clean):
    with pytest.raises(WrongHome):
        BrandStats.objects.using("shard_0").count()


def test_row_of_one_shard_cannot_be_written_to_another(clean, alpha):
    player_id = ids.compose(millis=ids.ID_EPOCH_MS + 10, shard=1, sequence=3)
    player = Player(
        id=player_id, brand_id=alpha.id, username="x", login_name="x", email="x@example.com"
    )
    with pytest.raises(WrongHome):
        player.save(using="shard_0")
    assert not Player.objects.on_shard(0).filter(pk=player_id).exists()
    assert not Player.objects.on_shard(1).filter(pk=player_id).exists()


def test_on_shard_context_routes_and_is_reset(clean):
    with context.on_shard(1) as db:
        assert db == "shard_1"
        assert Player.objects.all().db == "shard_1"
    assert context.current() is None


def _tables(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in cursor.fetchall()}


def test_tables_exist_only_in_their_home(platform):
    global_tables = _tables("default")
    shard_tables = [_tables(alias) for alias in shard_map.aliases()]
    for model in apps.get_models():
        table = model._meta.db_table
        home = home_of(model)
        if home == Home.SHARD:
            assert table not in global_tables, table
            assert all(table in tables for tables in shard_tables), table
        else:
            assert all(table not in tables for tables in shard_tables), table
        if home == Home.BRAND:
            assert table not in global_tables, f"{table} is a brand table in the public schema"
