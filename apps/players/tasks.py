"""Scheduled upkeep of player accounts (run by beat on the global workers), and the password
reset e-mails (``password_reset``), where Celery looks for tasks."""

import datetime as dt

from django.utils import timezone

from apps.players.maintenance import directory_repair
from apps.players.password_reset import password_reset_mail
from shards.tasks import global_task

REPAIR_WINDOW = dt.timedelta(hours=25)


@global_task(name="players.directory_repair")
def directory_repair_recent() -> int:
    """Remove orphaned directory entries of the last day (the hourly schedule overlaps)."""
    return len(directory_repair(since=timezone.now() - REPAIR_WINDOW))


__all__ = ["directory_repair_recent", "password_reset_mail"]
