"""N websocket clients on one URL, each timing every push from its ``ts`` to its receipt.

A separate process (asyncio, the ``websockets`` library, no Django). It opens ``--clients``
connections to ``--url`` through 127.0.0.1:``--port`` (the URL's host goes in the Host header, no
Origin is sent), at most ``--concurrency`` handshakes at a time, and reads each one's first message
(the snapshot, ``"full": true``). When every client has connected (or failed) it writes
``--ready`` (JSON counts). From then on each client records, for every message with ``"full":
false``, its receipt time (wall clock, ms) minus the message's ``ts`` (the provider's timestamp in
ms, stamped by the publisher on the same machine), for messages stamped after ``--go`` appeared
(earlier ones are a warm-up, only counted). The receipt time is taken as soon as the client's
task has the frame, before decoding it. When ``--stop`` appears (or after ``--max-seconds``) it
closes every connection and writes ``--result``; meanwhile ``--progress`` says every 0.2 s how
many receipts it has recorded. The result holds the latency percentiles over every (client,
message) pair, how many pushes each client got, and the spread of each push across the clients
(from the first client's receipt to the last's).

    python -m bench.ws_clients --url ws://bench.localhost:8000/ws/events/1/ --port 8000 \
        --clients 1000 --ready ready.json --go go --stop stop --progress progress.json \
        --result result.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


def raise_open_files(needed: int) -> int:
    """Raise the soft limit of open files towards ``needed`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.latencies: list[float] = []
        self.received: list[int] = [0] * args.clients  # non-full messages per client
        self.first_seen: dict[int, float] = {}  # ts -> first receipt (ms)
        self.last_seen: dict[int, float] = {}  # ts -> last receipt (ms)
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.connected = 0
        self.closed_early = 0
        self.sockets: list = []
        self.stopping = False
        # Pushes of messages stamped before --go appeared are a warm-up: counted apart.
        self.go_ms = math.inf
        self.warm_up = 0

    def _error(self, exc: BaseException) -> None:
        self.errors[type(exc).__name__] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{type(exc).__name__}: {exc}"[:300])

    async def client(self, index: int, gate: asyncio.Semaphore, connected: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        args = self.args
        try:
            async with gate:
                ws = await connect(
                    args.url,
                    host="127.0.0.1",
                    port=args.port,
                    compression=None,
                    ping_interval=None,
                    proxy=None,
                    open_timeout=args.open_timeout,
                    close_timeout=1,
                    max_size=2**22,
                    max_queue=None,
                    user_agent_header=None,
                )
                first = json.loads(await asyncio.wait_for(ws.recv(), args.open_timeout))
                if not first.get("full"):
                    raise RuntimeError(f"first message is not a snapshot: {str(first)[:200]}")
        except Exception as exc:
            self._error(exc)
            connected.set()
            return
        self.sockets.append(ws)
        self.connected += 1
        connected.set()
        latencies, first_seen, last_seen = self.latencies, self.first_seen, self.last_seen
        try:
            async for raw in ws:
                now = time.time() * 1000
                message = json.loads(raw)
                if message.get("full") is not False:
                    continue
                ts = message["ts"]
                if ts < self.go_ms:
                    self.warm_up += 1
                    continue
                latencies.append(now - ts)
                self.received[index] += 1
                if ts not in first_seen:
                    first_seen[ts] = now
                last_seen[ts] = now
        except Exception as exc:
            if not self.stopping:
                self._error(exc)
        if not self.stopping:
            self.closed_early += 1

    async def run(self) -> dict:
        args = self.args
        gate = asyncio.Semaphore(args.concurrency)
        events = [asyncio.Event() for _ in range(args.clients)]
        t0 = time.monotonic()
        tasks = [asyncio.create_task(self.client(i, gate, events[i])) for i in range(args.clients)]
        await asyncio.gather(*(e.wait() for e in events))
        connect_s = time.monotonic() - t0
        ready = {
            "clients": args.clients,
            "connected": self.connected,
            "errors": dict(self.errors),
            "connect_s": round(connect_s, 2),
        }
        Path(args.ready).write_text(json.dumps(ready))
        deadline = time.monotonic() + args.max_seconds
        while not os.path.exists(args.go) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.go_ms = time.time() * 1000
        cpu0, t1 = time.process_time(), time.monotonic()
        progress, written = Path(args.progress), 0.0
        while not os.path.exists(args.stop) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            if time.monotonic() - written >= 0.2:
                written = time.monotonic()
                counts = {"samples": len(self.latencies), "pushes": len(self.first_seen)}
                progress.write_text(json.dumps(counts))
        measured_s = time.monotonic() - t1
        cpu = time.process_time() - cpu0
        self.stopping = True
        for ws in self.sockets:
            ws.transport.abort()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        latencies = sorted(self.latencies)
        pushes = len(self.first_seen)
        per_client = sorted(self.received[i] for i in range(args.clients))
        spreads = sorted(self.last_seen[ts] - self.first_seen[ts] for ts in self.first_seen)

        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            **ready,
            "closed_early": self.closed_early,
            "warm_up_receipts": self.warm_up,
            "error_samples": self.error_samples,
            "pushes": pushes,  # distinct ts seen by any client
            "samples": len(latencies),
            "expected_samples": pushes * self.connected,
            "per_client_min": per_client[0] if per_client else 0,
            "per_client_max": per_client[-1] if per_client else 0,
            "p50_ms": r(percentile(latencies, 0.50)),
            "p90_ms": r(percentile(latencies, 0.90)),
            "p99_ms": r(percentile(latencies, 0.99)),
            "p999_ms": r(percentile(latencies, 0.999)),
            "min_ms": r(latencies[0] if latencies else None),
            "max_ms": r(latencies[-1] if latencies else None),
            "spread_p50_ms": r(percentile(spreads, 0.50)),
            "spread_max_ms": r(spreads[-1] if spreads else None),
            "measured_s": round(measured_s, 2),
            "client_cpu": round(cpu / measured_s, 3) if measured_s > 0 else None,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ws_clients", description=__doc__)
    parser.add_argument("--url", required=True, help="ws://<brand host>:<port>/<path>")
    parser.add_argument("--port", type=int, required=True, help="the server's port on 127.0.0.1")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes at a time")
    parser.add_argument("--open-timeout", type=float, default=30.0)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--go", required=True, help="pushes count once this file exists")
    parser.add_argument("--stop", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--progress", required=True, help="receipts so far, every 0.2 s")
    args = parser.parse_args(argv)
    raise_open_files(args.clients + 256)
    result = asyncio.run(Harness(args).run())
    Path(args.result).write_text(json.dumps(result))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
