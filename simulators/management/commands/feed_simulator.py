"""manage.py feed_simulator: publish a simulated Unified Odds Feed until SIGINT/SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from apps.providers.uof.routing import EXCHANGE
from simulators.uof.publisher import Config, FeedSimulator, default_broker_url


def config_from_options(opts: dict) -> Config:
    return Config(
        events=opts["events"],
        event_base=opts["event_base"],
        seed=opts["seed"],
        rate=opts["rate"],
        duration=opts["duration"],
        count=opts["count"],
        broker_url=opts["broker"] or default_broker_url(),
        exchange=opts["exchange"],
        api_port=opts["api_port"],
        only_odds=opts["only_odds"],
        live_only=opts["live_only"],
        speed=opts["speed"],
    )


class Command(BaseCommand):
    help = (
        "Publish a realistic Unified Odds Feed (odds, bet stops, settlements, alive...) to a "
        "RabbitMQ topic exchange and serve the provider's HTTP API (recovery, fixtures)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=40, help="events in the world")
        parser.add_argument(
            "--event-base", type=int, default=50_000_000, help="first event id (sr:match:<n>)"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="same seed, same stream (default: random, logged)",
        )
        parser.add_argument(
            "--rate", type=float, default=50.0, help="messages per second, all types together"
        )
        parser.add_argument(
            "--duration", type=float, default=None, help="stop after this many seconds"
        )
        parser.add_argument("--count", type=int, default=None, help="stop after this many messages")
        parser.add_argument(
            "--broker",
            default=None,
            help="AMQP URL (default: BROKER_URL, else amqp://guest:guest@localhost:5672//)",
        )
        parser.add_argument("--exchange", default=EXCHANGE, help="topic exchange name")
        parser.add_argument(
            "--api-port", type=int, default=0, help="HTTP API port on 127.0.0.1 (0: any free port)"
        )
        parser.add_argument(
            "--only-odds", action="store_true", help="publish odds_change only (benchmarks)"
        )
        parser.add_argument(
            "--live-only",
            action="store_true",
            help="every event live, no prematch producer traffic",
        )
        parser.add_argument(
            "--speed", type=float, default=20.0, help="match seconds per real second"
        )

    def handle(self, *args, **opts):
        try:
            config = config_from_options(opts)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        simulator = FeedSimulator(config)
        try:
            simulator.start()
        except Exception as exc:
            raise CommandError(f"cannot start the feed simulator: {exc}") from exc
        self.stdout.write(f"feed simulator api on {simulator.api_url}")
        self.stdout.flush()
        try:
            while not simulator.wait(0.2) and not stop.is_set():
                pass
        finally:
            simulator.close()
