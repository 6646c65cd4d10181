"""manage.py video_simulator: a video stream provider on 127.0.0.1:<port>, for tests and demos."""

import os
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from apps.catalog.models import Event
from simulators.video import VideoSimulator

NOT_OVER = (0, 1, 2, 6, 7)  # not started, live, suspended, delayed, interrupted


def catalog_events(limit: int = 500) -> list[str]:
    """The catalog's live and upcoming events (``--events-from-catalog``), read again on each
    refresh by the simulator's thread."""
    close_old_connections()
    return list(
        Event.objects.filter(status__in=NOT_OVER)
        .order_by("start_time", "id")
        .values_list("urn", flat=True)[:limit]
    )


class Command(BaseCommand):
    help = "Serve a video provider's stream listing (GET /v1/streams) for some events."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=0, help="0: a free port")
        parser.add_argument(
            "--event",
            action="append",
            default=[],
            metavar="URN",
            help="an event to offer a stream for (repeat)",
        )
        parser.add_argument(
            "--events-from-catalog",
            action="store_true",
            help="offer streams for the catalog's live and upcoming events, "
            "read again every --refresh seconds",
        )
        parser.add_argument("--refresh", type=float, default=5.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--offered-share", type=float, default=0.8, help="share of the events that get a stream"
        )
        parser.add_argument(
            "--lead-seconds",
            type=float,
            default=60.0,
            help="at most this long scheduled before live",
        )
        parser.add_argument(
            "--live-seconds", type=float, default=300.0, help="about this long live before ended"
        )
        parser.add_argument(
            "--token-env", default="", help="environment variable holding the clients' token"
        )
        parser.add_argument(
            "--duration", type=float, default=0.0, help="seconds to run (0: until SIGINT/SIGTERM)"
        )

    def handle(self, *args, **opts):
        if not opts["event"] and not opts["events_from_catalog"]:
            raise CommandError("give --event URN (repeated) and/or --events-from-catalog")
        if not 0.0 <= opts["offered_share"] <= 1.0:
            raise CommandError("--offered-share must be between 0 and 1")
        token = None
        if opts["token_env"]:
            token = os.environ.get(opts["token_env"], "")
            if not token:
                raise CommandError(f"{opts['token_env']} must hold the token")
        try:
            simulator = VideoSimulator(
                port=opts["port"],
                seed=opts["seed"],
                token=token,
                events=opts["event"],
                source=catalog_events if opts["events_from_catalog"] else None,
                refresh_s=opts["refresh"],
                offered_share=opts["offered_share"],
                lead_s=opts["lead_seconds"],
                live_s=opts["live_seconds"],
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on 127.0.0.1:{opts['port']}: {exc}") from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        simulator.start()
        self.stdout.write(f"video simulator on {simulator.url}")
        self.stdout.flush()
        stop.wait(opts["duration"] or None)
        simulator.close()
