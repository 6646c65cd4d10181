"""The directory repair after a registration that died between its two writes."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.players.models import DirectoryEntry
from apps.players.services import player_register
from apps.players.tasks import directory_repair_recent
from shards import ids


def _orphan(brand, name, age=dt.timedelta(minutes=10)):
    player_id = ids.compose(millis=ids.ID_EPOCH_MS + 99, shard=1, sequence=len(name))
    entry = DirectoryEntry.objects.create(
        brand_id=brand.id, login_name=name, player_id=player_id, shard=1
    )
    DirectoryEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - age)
    return player_id


def test_check_reports_orphans_and_repair_removes_only_them(alpha, capsys):
    kept = player_register(
        brand=alpha, username="real", email="r@example.com", password="a long passphrase"
    )
    DirectoryEntry.objects.filter(player_id=kept.id).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    orphan = _orphan(alpha, "ghost")
    young = _orphan(alpha, "inflight", age=dt.timedelta(seconds=5))
    with pytest.raises(CommandError, match="1 orphaned"):
        call_command("directory_check")
    assert f"orphan: player {orphan}" in capsys.readouterr().out
    call_command("directory_check", "--repair")
    remaining = set(DirectoryEntry.objects.values_list("player_id", flat=True))
    assert remaining == {kept.id, young}
    call_command("directory_check")
    assert "directory consistent" in capsys.readouterr().out


def test_the_scheduled_repair_frees_the_login_name(alpha):
    _orphan(alpha, "stuck")
    assert directory_repair_recent() == 1
    player_register(
        brand=alpha, username="stuck", email="s@example.com", password="a long passphrase"
    )
    assert DirectoryEntry.objects.filter(login_name="stuck").count() == 1


def test_registration_of_a_name_held_by_an_account_without_entry_is_refused_cleanly(alpha):
    from apps.players.models import Player
    from apps.players.services import PlayerError, shard_for_new_player
    from shards import map as shard_map

    shard = shard_for_new_player(brand_id=alpha.id, login_name="lost")
    Player.objects.on_shard(shard).create(
        brand_id=alpha.id, username="lost", login_name="lost", email="l@example.com", password="x"
    )
    with pytest.raises(PlayerError) as refused:
        player_register(
            brand=alpha, username="Lost", email="l@example.com", password="a long passphrase"
        )
    assert refused.value.code == "username_taken"
    assert not DirectoryEntry.objects.filter(login_name="lost").exists()
    assert Player.objects.using(shard_map.alias(shard)).filter(login_name="lost").count() == 1
