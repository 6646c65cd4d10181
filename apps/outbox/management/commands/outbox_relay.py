"""manage.py outbox_relay: run the outbox relay until SIGINT/SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand

from apps.outbox import relay
from betting.celery import app


class Command(BaseCommand):
    help = "Publish committed outbox rows (global and every shard) to the broker."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=relay.BATCH)

    def handle(self, *args, **opts):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"outbox relay publishing from {', '.join(relay.databases())}")
        relay.run(app, stop=stop, batch=opts["batch"])
