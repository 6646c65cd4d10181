import datetime as dt

import pytest
from django.db import connections

from shards import ids
from shards import map as shard_map


def test_id_round_trips_its_shard_and_time():
    now_ms = int(dt.datetime(2026, 5, 1, tzinfo=dt.UTC).timestamp() * 1000)
    for shard in (0, 1, 7, 1023):
        entity_id = ids.compose(millis=now_ms, shard=shard, sequence=4095)
        assert ids.shard_of(entity_id) == shard
        assert ids.created_at(entity_id) == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        assert 0 < entity_id < 2**63


@pytest.mark.parametrize("bad", [0, -5, 2**63, "12", None, True, 1.5])
def test_shard_of_rejects_what_is_not_an_id(bad):
    with pytest.raises(ids.InvalidId):
        ids.shard_of(bad)


@pytest.mark.parametrize("bad", ["", "abc", "-1", "1e3", "0", str(2**64)])
def test_parse_rejects_untrusted_junk(bad):
    with pytest.raises(ids.InvalidId):
        ids.parse(bad)


def test_each_shard_database_allocates_ids_that_encode_it(platform):
    for alias in shard_map.aliases():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT platform_next_id() FROM generate_series(1, 500)")
            allocated = [row[0] for row in cursor.fetchall()]
        assert len(set(allocated)) == 500
        # Time-ordered by millisecond (the sequence part wraps every 4096 ids).
        millis = [i >> (ids.SHARD_BITS + ids.SEQUENCE_BITS) for i in allocated]
        assert millis == sorted(millis)
        assert {shard_map.alias_for(i) for i in allocated} == {alias}
        # The function spells out the layout's constants: it agrees with this module's.
        age = dt.datetime.now(dt.UTC) - ids.created_at(allocated[-1])
        assert dt.timedelta(seconds=-5) < age < dt.timedelta(minutes=1)


def test_an_id_of_a_shard_this_installation_lacks_is_refused():
    foreign = ids.compose(millis=ids.ID_EPOCH_MS + 1, shard=5, sequence=1)
    with pytest.raises(shard_map.UnknownShard):
        shard_map.alias_for(foreign)
