"""The feed scenario's baseline: a bare websocket broadcast server fed by the same AMQP exchange.

One process, no Django, no database, no Redis: a ``websockets`` asyncio server on 127.0.0.1 and
a consumer thread on its own exclusive queue bound to the feed exchange with ``--routing-key``
(so it gets exactly the messages the platform's adapter gets for that event). For each message it
takes the ``timestamp`` attribute from the XML and broadcasts one JSON text frame, the same to every
client (``websockets.broadcast``, encoded once): ``{"type": "odds", "event": <urn>, "ts":
<timestamp>, "full": false, "body": <the XML>}``. A client gets ``{"type": "odds", "full": true}``
on connect, like an event page's socket. This is what Python, the broker and the loopback cost on
this machine with none of the platform's work, the floor the platform's push latency is held to.
``--ready`` is written once the queue is bound and the server listens.

    python -m bench.broadcast_baseline --port 8001 --broker URL --exchange X \
        --routing-key 'hi.-.live.odds_change.1.sr:match.1.-' --ready ready
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from shards import queues

TIMESTAMP = re.compile(r'<odds_change[^>]*\stimestamp="(\d+)"')
EVENT = re.compile(r'<odds_change[^>]*\sevent_id="([^"]+)"')


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.clients: set = set()
        self.broadcasts = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop = threading.Event()

    async def handler(self, ws) -> None:
        self.clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "odds", "full": True, "ts": int(time.time() * 1000)}))
            async for _ in ws:  # nothing expected from clients; read until they close
                pass
        except Exception:
            pass
        finally:
            self.clients.discard(ws)

    def broadcast(self, body: str) -> None:
        from websockets.asyncio.server import broadcast

        ts = TIMESTAMP.search(body)
        event = EVENT.search(body)
        frame = json.dumps(
            {
                "type": "odds",
                "event": event.group(1) if event else None,
                "ts": int(ts.group(1)) if ts else None,
                "full": False,
                "body": body,
            }
        )
        broadcast(self.clients, frame)
        self.broadcasts += 1

    def consume(self, bound: threading.Event) -> None:
        """The AMQP consumer thread: hands each message's body to the event loop."""
        import kombu

        args = self.args
        with kombu.Connection(args.broker, connect_timeout=10, heartbeat=0) as conn:
            conn.ensure_connection(max_retries=3)
            channel = conn.channel()
            exchange = queues.feed_exchange(args.exchange)
            exchange(channel).declare()
            queue = kombu.Queue(
                f"bench.baseline.{os.getpid()}",
                exchange=exchange,
                routing_key=args.routing_key,
                exclusive=True,
                auto_delete=True,
                durable=False,
            )(channel)
            queue.declare()

            def on_message(message) -> None:
                body = message.body  # kombu decodes it (content_encoding utf-8)
                text = body.decode() if isinstance(body, bytes) else body
                self.loop.call_soon_threadsafe(self.broadcast, text)

            consumer = kombu.Consumer(channel, queues=[queue], on_message=on_message, no_ack=True)
            consumer.consume()
            bound.set()
            while not self.stop.is_set():
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=0.2)

    async def run(self) -> None:
        from websockets.asyncio.server import serve

        self.loop = asyncio.get_running_loop()
        done = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.loop.add_signal_handler(sig, done.set)
        bound = threading.Event()
        thread = threading.Thread(target=self.consume, args=(bound,), name="amqp", daemon=True)
        thread.start()
        async with serve(
            self.handler,
            "127.0.0.1",
            self.args.port,
            compression=None,
            ping_interval=None,
            max_queue=None,
            backlog=1024,
        ):
            while not bound.wait(0):
                if not thread.is_alive():
                    raise RuntimeError("the AMQP consumer thread died")
                await asyncio.sleep(0.05)
            Path(self.args.ready).write_text("ready")
            print(f"baseline on 127.0.0.1:{self.args.port}", flush=True)
            await done.wait()
        self.stop.set()
        thread.join(2)
        print(f"broadcasts: {self.broadcasts}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast_baseline", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--exchange", required=True)
    parser.add_argument("--routing-key", required=True)
    parser.add_argument("--ready", required=True)
    args = parser.parse_args(argv)
    from bench.ws_clients import raise_open_files

    raise_open_files(4096)
    asyncio.run(Server(args).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
