"""manage.py directory_check: find (with --repair: remove) directory entries with no account."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.players.maintenance import GRACE, directory_orphans, directory_repair


class Command(BaseCommand):
    help = "Check that every directory entry has its account on its shard."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="remove orphaned entries")
        parser.add_argument(
            "--hours", type=int, default=None, help="only entries created in the last N hours"
        )
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=int(GRACE.total_seconds()),
            help="ignore entries younger than this (registrations still in flight)",
        )

    def handle(self, *args, **opts):
        if opts["hours"] is not None and opts["hours"] <= 0:
            raise CommandError("--hours must be positive")
        since = timezone.now() - dt.timedelta(hours=opts["hours"]) if opts["hours"] else None
        grace = dt.timedelta(seconds=opts["grace_seconds"])
        if opts["repair"]:
            removed = directory_repair(since=since, grace=grace)
            self.stdout.write(f"removed {len(removed)} orphaned directory entries")
            return
        orphans = directory_orphans(since=since, grace=grace)
        for player_id in orphans:
            self.stdout.write(f"orphan: player {player_id} has no account on its shard")
        if orphans:
            raise CommandError(f"{len(orphans)} orphaned directory entries (run with --repair)")
        self.stdout.write("directory consistent")
