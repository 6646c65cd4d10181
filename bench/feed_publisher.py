"""The feed scenario's publisher: UOF ``odds_change`` messages to a RabbitMQ topic exchange.

A separate process (no Django), so its CPU is not the adapter's. Three modes:

- ``rate``: open loop at ``--rate`` messages per second for ``--duration`` seconds over the events
  of ``--events`` (message ``k`` is due at ``start + k / rate`` whatever happened before; a late
  moment is caught up with a burst);
- ``backlog``: ``--count`` messages as fast as it can (a backlog for the drain test);
- ``hot``: like ``rate``, but every message is for the one event ``--hot`` names.

Each message is stamped when it is sent: ``timestamp`` = wall clock in ms, what latency is measured
from. A message updates 1 to 8 market lines of its event (the sport's lines below, from
``apps/catalog/data/markets.json``) with fresh random odds and carries the match status, as a live
``odds_change`` does. Messages are persistent (delivery mode 2), as the provider's are. The result
(counts, achieved rate, how far behind schedule it fell, its own CPU) goes to ``--result`` as JSON.

    python -m bench.feed_publisher rate --broker URL --exchange X --events events.json \
        --rate 1000 --duration 15 --result out.json [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from pathlib import Path

from shards import queues

HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

# (market id, specifiers, outcome ids) of the lines each sport's live events carry; every market
# is described in apps/catalog/data/markets.json (an undescribed one would be skipped).
LINES: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {
    "sr:sport:1": [
        (1, "", ("1", "2", "3")),
        (10, "", ("9", "10", "11")),
        (11, "", ("4", "5")),
        (26, "", ("70", "72")),
        (29, "", ("74", "76")),
        (60, "", ("1", "2", "3")),
        (7, "score=0:1", ("1", "2", "3")),
        (8, "goalnr=2", ("6", "7", "8")),
        (14, "hcp=0:1", ("1711", "1712", "1713")),
        (14, "hcp=1:0", ("1711", "1712", "1713")),
        (16, "hcp=-1.5", ("1714", "1715")),
        (16, "hcp=1.5", ("1714", "1715")),
        *((18, f"total={t}", ("12", "13")) for t in ("1.5", "2.5", "3.5", "4.5")),
        (19, "total=1.5", ("12", "13")),
        (20, "total=1.5", ("12", "13")),
        (68, "total=0.5", ("12", "13")),
        (68, "total=1.5", ("12", "13")),
    ],
    "sr:sport:5": [
        (186, "", ("4", "5")),
        *((189, f"total={t}", ("12", "13")) for t in ("20.5", "21.5", "22.5", "23.5")),
        (190, "total=10.5", ("12", "13")),
        (202, "setnr=1", ("4", "5")),
        (202, "setnr=2", ("4", "5")),
        (210, "gamenr=5|setnr=1", ("4", "5")),
        (213, "gamenr=5|setnr=1", ("74", "76")),
        (314, "", ("12", "13")),
    ],
    "sr:sport:2": [
        (219, "", ("4", "5")),
        *((223, f"hcp={h}", ("1714", "1715")) for h in ("-3.5", "-5.5", "-7.5")),
        *((225, f"total={t}", ("12", "13")) for t in ("158.5", "160.5", "162.5", "164.5")),
    ],
}
SPORT_IDS = {"sr:sport:1": 1, "sr:sport:5": 5, "sr:sport:2": 2}
MAX_MARKETS = 8
LIVE_PRODUCER = 1
PERSISTENT = {"delivery_mode": 2}


class Stream:
    """Messages for a set of events: random lines with random odds, stamped at build time."""

    def __init__(self, events: list[dict], seed: int) -> None:
        self.rng = random.Random(seed)
        self.events = [
            (e["urn"], e["sport"], self._routing_key(e["urn"], e["sport"])) for e in events
        ]
        self.scores: dict[str, list[int]] = {e["urn"]: [0, 0] for e in events}

    @staticmethod
    def _routing_key(urn: str, sport: str) -> str:
        _, kind, number = urn.split(":")
        return f"hi.-.live.odds_change.{SPORT_IDS[sport]}.sr:{kind}.{number}.-"

    def next(self) -> tuple[str, bytes]:
        """(routing key, body) of the next message, stamped now."""
        rng = self.rng
        urn, sport, routing_key = self.events[rng.randrange(len(self.events))]
        lines = LINES[sport]
        chosen = rng.sample(lines, rng.randint(1, min(MAX_MARKETS, len(lines))))
        markets = []
        for market_id, specifiers, outcomes in chosen:
            spec = f' specifiers="{specifiers}"' if specifiers else ""
            inner = []
            for outcome in outcomes:
                odds = round(rng.uniform(1.05, 15.0), 2)
                inner.append(
                    f'<outcome id="{outcome}" odds="{odds}" probabilities="{1 / odds:.5f}" '
                    'active="1"/>'
                )
            markets.append(f'<market status="1" id="{market_id}"{spec}>{"".join(inner)}</market>')
        score = self.scores[urn]
        if rng.random() < 0.01:
            score[rng.randrange(2)] += 1
        minute = rng.randrange(1, 90)
        body = (
            f'{HEADER}<odds_change product="{LIVE_PRODUCER}" event_id="{urn}" '
            f'timestamp="{int(time.time() * 1000)}"><sport_event_status status="1" reporting="1" '
            f'match_status="6" home_score="{score[0]}" away_score="{score[1]}">'
            f'<clock match_time="{minute}:{rng.randrange(60):02d}"/></sport_event_status>'
            f"<odds>{''.join(markets)}</odds></odds_change>"
        )
        return routing_key, body.encode()


class Sink:
    """One connection and channel to the broker; persistent messages to a topic exchange."""

    def __init__(self, url: str, exchange: str) -> None:
        import kombu

        self.connection = kombu.Connection(url, connect_timeout=10)
        self.connection.ensure_connection(max_retries=3)
        self.channel = self.connection.channel()
        declared = queues.feed_exchange(exchange)
        declared(self.channel).declare()
        self.exchange = declared.name

    def publish(self, routing_key: str, body: bytes) -> None:
        message = self.channel.prepare_message(
            body, content_type="text/xml", content_encoding="utf-8", properties=PERSISTENT
        )
        self.channel.basic_publish(message, exchange=self.exchange, routing_key=routing_key)

    def close(self) -> None:
        self.connection.release()


def publish(
    sink: Sink,
    stream: Stream,
    *,
    rate: float | None,
    duration: float | None,
    count: int | None,
    started: Path | None = None,
) -> dict:
    """Open loop at ``rate`` (None: as fast as possible) until ``duration`` or ``count``."""
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    total = count if count is not None else round((rate or 0) * (duration or 0))
    if started is not None:
        started.write_text(str(time.time()))
    cpu0, start = time.process_time(), time.monotonic() + 0.01
    sent, max_behind = 0, 0.0
    while sent < total and not stop:
        if rate is not None:
            due = start + sent / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            else:
                max_behind = max(max_behind, now - due)
        routing_key, body = stream.next()
        sink.publish(routing_key, body)
        sent += 1
    elapsed = time.monotonic() - start
    return {
        "offered_rate": rate,
        "sent": sent,
        "seconds": round(elapsed, 3),
        "achieved_rate": round(sent / elapsed, 1) if elapsed > 0 else None,
        "max_behind_ms": round(max_behind * 1000, 1),
        "cpu_cores": round((time.process_time() - cpu0) / elapsed, 3) if elapsed > 0 else None,
        "interrupted": stop,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feed_publisher", description=__doc__)
    parser.add_argument("mode", choices=["rate", "backlog", "hot"])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--exchange", required=True)
    parser.add_argument("--events", required=True, help="JSON: {events: [...], hot: {...}}")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--result", required=True)
    parser.add_argument("--started", help="a file written just before the first message")
    args = parser.parse_args(argv)
    world = json.loads(Path(args.events).read_text())
    events = [world["hot"]] if args.mode == "hot" else world["events"]
    stream = Stream(events, args.seed)
    sink = Sink(args.broker, args.exchange)
    started = Path(args.started) if args.started else None
    try:
        if args.mode == "backlog":
            result = publish(sink, stream, rate=None, duration=None, count=args.count)
        else:
            result = publish(
                sink, stream, rate=args.rate, duration=args.duration, count=None, started=started
            )
    finally:
        sink.close()
    Path(args.result).write_text(json.dumps(result))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
