"""manage.py live_odds_gateway: serve event pages' live-odds sockets until SIGINT/SIGTERM."""

import asyncio
import signal

from django.core.management.base import BaseCommand

from apps.realtime import gateway


class Command(BaseCommand):
    help = "Serve the live-odds websockets of event pages (/ws/events/<id>/)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args, **opts):
        asyncio.run(self._serve(opts["host"], opts["port"]))

    async def _serve(self, host: str, port: int) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready(bound: int) -> None:
            self.stdout.write(f"live odds gateway on ws://{host}:{bound}")
            self.stdout.flush()

        await gateway.run(host=host, port=port, stop=stop, ready=ready)
