"""Scheduled upkeep of player accounts (run by beat on the global workers)."""

import datetime as dt

from django.utils import timezone

from apps.players.maintenance import directory_repair
from shards.tasks import global_task

REPAIR_WINDOW = dt.timedelta(hours=25)


@global_task(name="players.directory_repair")
def directory_repair_recent() -> int:
    """Remove orphaned directory entries of the last day (the hourly schedule overlaps)."""
    return len(directory_repair(since=timezone.now() - REPAIR_WINDOW))
