"""manage.py outbox_replay: send parked events back to the pool that failed them."""

from django.core.management.base import BaseCommand, CommandError

from apps.outbox import relay
from apps.outbox.dead_letters import dead_letter_discard, dead_letter_replay
from apps.outbox.models import DeadLetter
from betting.celery import app


class Command(BaseCommand):
    help = (
        "Replay events parked in the outbox's dead-letter table (by id, or --all of those whose "
        "retries ran out); --discard deletes them instead (a forged event, once looked at)."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="dead-letter ids")
        parser.add_argument(
            "--all", action="store_true", help="every event parked because its retries ran out"
        )
        parser.add_argument("--discard", action="store_true", help="delete instead of replaying")
        parser.add_argument("--list", action="store_true", help="list the parked events only")

    def handle(self, *args, **opts):
        ids = opts["ids"]
        if opts["list"]:
            for letter in DeadLetter.objects.order_by("id"):
                self.stdout.write(
                    f"{letter.id} {letter.reason} {letter.queue} {letter.topic} "
                    f"{letter.event_id} attempts={letter.attempts} {letter.error[:120]}"
                )
            return
        if bool(ids) == opts["all"]:
            raise CommandError("give dead-letter ids or --all (not both)")
        if opts["discard"]:
            if not ids:
                raise CommandError("--discard takes ids, never --all")
            self.stdout.write(f"discarded {dead_letter_discard(ids=ids)} parked events")
            return
        relay.declare_topology(app)
        report = dead_letter_replay(app, ids=ids or None)
        self.stdout.write(f"replayed {len(report.replayed)} parked events")
        problems = []
        if report.refused:
            problems.append(
                f"refused (the signature does not hold; inspect, then --discard): {report.refused}"
            )
        if report.missing:
            problems.append(f"no such parked events: {report.missing}")
        if problems:
            raise CommandError("; ".join(problems))
