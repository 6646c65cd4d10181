"""Repairing the directory after a registration that died between its two writes.

Registration writes the directory entry (global) before the account (shard). If the process dies
in between, the entry claims a login name that no account backs. Such entries are found by
checking, shard by shard and in batches, which directory player ids have no account, and removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice

from django.utils import timezone

from apps.players.models import DirectoryEntry, Player
from shards import map as shard_map

GRACE = dt.timedelta(minutes=5)
BATCH = 1000


def batched(items: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def directory_orphans(*, since: dt.datetime | None, grace: dt.timedelta = GRACE) -> list[int]:
    """Player ids in the directory (created after ``since``, before now - ``grace``) that have
    no account on their shard."""
    orphans: list[int] = []
    entries = DirectoryEntry.objects.filter(created_at__lt=timezone.now() - grace)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    for shard in range(shard_map.shard_count()):
        ids = entries.filter(shard=shard).values_list("player_id", flat=True).order_by("player_id")
        for chunk in batched(ids.iterator(chunk_size=BATCH), BATCH):
            present = set(
                Player.objects.on_shard(shard).filter(pk__in=chunk).values_list("pk", flat=True)
            )
            orphans.extend(pid for pid in chunk if pid not in present)
    return orphans


def directory_repair(*, since: dt.datetime | None, grace: dt.timedelta = GRACE) -> list[int]:
    """Remove the orphaned entries; the player ids removed."""
    orphans = directory_orphans(since=since, grace=grace)
    for chunk in batched(orphans, BATCH):
        DirectoryEntry.objects.filter(player_id__in=chunk).delete()
    return orphans
