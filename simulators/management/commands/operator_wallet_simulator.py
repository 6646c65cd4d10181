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
            "--key",
            action="append",
            metavar="KEY_ID=ENV",
            help="a key id and the environment variable holding its shared secret; repeat it to "
            "accept two keys during a rotation (default: 1=OPERATOR_WALLET_SECRET)",
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
        keys: dict[str, str] = {}
        for spec in opts["key"] or ["1=OPERATOR_WALLET_SECRET"]:
            key_id, _, env = spec.partition("=")
            if not key_id or not env:
                raise CommandError(f"--key {spec!r}: give KEY_ID=ENV")
            keys[key_id] = os.environ.get(env, "")
            if not keys[key_id]:
                raise CommandError(f"{env} must hold the shared secret of key {key_id}")
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
            server = make_server(port=opts["port"], keys=keys, behaviour=behaviour)
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
