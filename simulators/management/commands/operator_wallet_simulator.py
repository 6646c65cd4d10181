"""manage.py operator_wallet_simulator: a reference operator wallet on 127.0.0.1:<port>."""

import os
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from simulators.operator_wallet import Behaviour, make_server


class Command(BaseCommand):
    help = "Run an operator wallet (external wallet mode) that can be slow, fail or time out."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument(
            "--secret-env",
            default="OPERATOR_WALLET_SECRET",
            help="environment variable holding the shared secret",
        )
        parser.add_argument(
            "--fail-rate",
            type=float,
            default=0.0,
            help="share of calls answered 500 without applying",
        )
        parser.add_argument(
            "--stall-rate",
            type=float,
            default=0.0,
            help="share of calls applied but answered too late",
        )
        parser.add_argument("--stall-seconds", type=float, default=3.0)
        parser.add_argument("--slow-ms", type=int, default=0, help="delay before every answer")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **opts):
        secret = os.environ.get(opts["secret_env"], "")
        if not secret:
            raise CommandError(f"{opts['secret_env']} must hold the shared secret")
        for rate in ("fail_rate", "stall_rate"):
            if not 0.0 <= opts[rate] <= 1.0:
                raise CommandError(f"--{rate.replace('_', '-')} must be between 0 and 1")
        behaviour = Behaviour(
            fail_rate=opts["fail_rate"],
            stall_rate=opts["stall_rate"],
            stall_s=opts["stall_seconds"],
            slow_s=opts["slow_ms"] / 1000,
            seed=opts["seed"],
        )
        try:
            server = make_server(port=opts["port"], secret=secret, behaviour=behaviour)
        except OSError as exc:
            raise CommandError(f"cannot listen on 127.0.0.1:{opts['port']}: {exc}") from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.stdout.write(f"operator wallet listening on http://127.0.0.1:{opts['port']}")
        self.stdout.flush()
        stop.wait()
        server.shutdown()
