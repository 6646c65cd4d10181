"""manage.py outbox_relay: run the outbox relay until SIGINT/SIGTERM."""

import signal
import threading

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from apps.outbox import relay
from apps.outbox.signing import signing_key_check
from betting.celery import app


class Command(BaseCommand):
    help = "Publish committed outbox rows (global and every shard) to the broker."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=relay.BATCH)

    def handle(self, *args, **opts):
        try:
            signing_key_check()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"outbox relay publishing from {', '.join(relay.databases())}")
        relay.run(app, stop=stop, batch=opts["batch"])
