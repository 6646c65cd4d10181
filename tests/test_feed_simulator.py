"""The UOF feed simulator: a seeded sports world speaking the feed's protocol.

Without a broker: every message builder parses with the platform's UOF parser, a seed replays
the same stream, a long stream has every message type with sane odds and settlements, and the
HTTP API (recovery, fixtures, producers, controls) works over an in-memory sink. With RabbitMQ
(CI): a bounded run into a unique exchange, recovery and silencing, end to end.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings

from apps.providers.uof import messages, routing
from apps.providers.uof.fixtures_api import fetch_fixture, parse_fixture
from shards import queues
from simulators.uof import xml
from simulators.uof.catalog import load
from simulators.uof.names import SPORTS
from simulators.uof.publisher import Config, FeedSimulator, MemorySink, run
from simulators.uof.world import World

EPOCH = 1_800_000_000_000
TYPES = {
    "odds_change": messages.OddsChange,
    "bet_stop": messages.BetStop,
    "bet_settlement": messages.BetSettlement,
    "bet_cancel": messages.BetCancel,
    "rollback_bet_settlement": messages.RollbackBetSettlement,
    "rollback_bet_cancel": messages.RollbackBetCancel,
    "fixture_change": messages.FixtureChange,
    "alive": messages.Alive,
    "snapshot_complete": messages.SnapshotComplete,
}


def _stream(seed, slots, *, rate=500.0, speed=60.0, **world_options):
    world = World(seed=seed, speed=speed, epoch_ms=EPOCH, **world_options)
    out = []
    for k in range(slots):
        message = world.next(k / rate)
        if message is not None:
            out.append(message)
    return world, out


def _check(routing_key: str, body: bytes) -> messages.Message:
    """The message parses, and its routing key says what it is (type, producer, event)."""
    message = messages.parse(body)
    key = routing.parse_routing_key(routing_key)
    assert isinstance(message, TYPES[key.message_type]), (routing_key, body[:200])
    if key.message_type in routing.SYSTEM_MESSAGES:
        assert key.event_urn is None and key.priority is None
    else:
        assert key.event_urn == message.event_id
        assert key.live == (message.product == 1) and key.prematch == (message.product == 3)
        assert key.sport_id is not None
        expected = (
            "lo"
            if key.message_type.startswith(("bet_settlement", "bet_cancel", "rollback"))
            else "hi"
        )
        assert key.priority == expected
    return message


def _one_x_two_overrounds(parsed):
    for message in parsed:
        if isinstance(message, messages.OddsChange):
            for market in message.markets:
                if market.id == 1 and market.outcomes and all(o.active for o in market.outcomes):
                    yield sum(1 / o.odds for o in market.outcomes)


def _assert_catalog(parsed):
    catalog = load()
    for message in parsed:
        if not isinstance(message, messages.OddsChange | messages.BetSettlement):
            continue
        markets = message.markets
        for market in markets:
            assert market.id in catalog, market
            assert catalog[market.id].outcomes, f"variant market {market.id} published"
            for outcome in market.outcomes:
                assert outcome.id in catalog[market.id].outcomes, (market.id, outcome.id)
            if isinstance(message, messages.OddsChange):
                for outcome in market.outcomes:
                    assert outcome.odds is None or outcome.odds >= Decimal("1.01")
                    assert outcome.odds is None or outcome.odds == outcome.odds.quantize(
                        Decimal("0.01")
                    )


# Without a broker.


def test_every_message_builder_parses_with_the_platform_parser():
    ts = EPOCH
    status = xml.EventStatus(1, 6, 1, 2, "27:33", None, ((6, 1, 1, 2),))
    odds = xml.odds_change(
        ts,
        product=1,
        event_id="sr:match:7",
        status=status,
        request_id=9,
        markets=(
            xml.MarketOdds(
                1,
                "",
                1,
                True,
                (
                    xml.OutcomeOdds("1", 2.5, 0.38),
                    xml.OutcomeOdds("2", 3.4, 0.28),
                    xml.OutcomeOdds("3", None, 0.34, False),
                ),
            ),
            xml.MarketOdds(18, "total=2.5", -1),
        ),
    )
    parsed = messages.parse(odds)
    assert (parsed.product, parsed.timestamp, parsed.event_id, parsed.request_id) == (
        1,
        ts,
        "sr:match:7",
        9,
    )
    assert parsed.status == messages.EventStatus(1, 6, 1, 2, "27:33")
    assert [(m.id, m.specifiers, m.status, m.favourite) for m in parsed.markets] == [
        (1, "", 1, True),
        (18, "total=2.5", -1, False),
    ]
    assert [(o.id, o.odds, o.active) for o in parsed.markets[0].outcomes] == [
        ("1", Decimal("2.50"), True),
        ("2", Decimal("3.40"), True),
        ("3", None, False),
    ]

    stop = messages.parse(xml.bet_stop(ts, product=1, event_id="sr:match:7", groups="all"))
    assert isinstance(stop, messages.BetStop) and stop.groups == ("all",)

    settled = messages.parse(
        xml.bet_settlement(
            ts,
            product=1,
            event_id="sr:match:7",
            certainty=1,
            markets=(
                xml.SettledMarket(
                    16,
                    "hcp=-0.25",
                    (xml.SettledOutcome("1714", 0, 0.5), xml.SettledOutcome("1715", 1, 0.5)),
                ),
                xml.SettledMarket(
                    186,
                    "",
                    (xml.SettledOutcome("4", 1, None, 0.5), xml.SettledOutcome("5", 1, None, 0.5)),
                ),
            ),
        )
    )
    assert settled.certainty == 1
    assert [(o.id, o.result, o.void_factor) for o in settled.markets[0].outcomes] == [
        ("1714", 0, Decimal("0.5")),
        ("1715", 1, Decimal("0.5")),
    ]
    assert settled.markets[1].outcomes[0].dead_heat_factor == Decimal("0.5")

    refs = (xml.MarketRef(18, "total=2.5"), xml.MarketRef(1))
    cancel = messages.parse(
        xml.bet_cancel(
            ts,
            product=1,
            event_id="sr:match:7",
            markets=refs,
            start_offset_ms=-60_000,
            end_offset_ms=-1_000,
        )
    )
    assert (cancel.start_time, cancel.end_time) == (ts - 60_000, ts - 1_000)
    assert [m.key for m in cancel.markets] == [(18, "total=2.5"), (1, "")]
    rollback = messages.parse(
        xml.rollback_bet_cancel(ts, product=1, event_id="sr:match:7", markets=refs)
    )
    assert isinstance(rollback, messages.RollbackBetCancel) and len(rollback.markets) == 2
    unsettle = messages.parse(
        xml.rollback_bet_settlement(ts, product=1, event_id="sr:match:7", markets=refs[:1])
    )
    assert isinstance(unsettle, messages.RollbackBetSettlement)
    change = messages.parse(
        xml.fixture_change(
            ts, product=3, event_id="sr:match:7", start_time=ts + 3_600_000, change_type=2
        )
    )
    assert (change.change_type, change.start_time) == (2, ts + 3_600_000)
    assert messages.parse(xml.alive(ts, product=3, subscribed=False)) == messages.Alive(
        3, ts, None, subscribed=False
    )
    assert messages.parse(xml.snapshot_complete(ts, product=1, request_id=42)) == (
        messages.SnapshotComplete(1, ts, 42)
    )


def test_a_seed_replays_the_same_stream():
    def rendered(seed):
        _, stream = _stream(seed, 4000, rate=1000, speed=200)
        return [(m.routing_key, m.render(EPOCH)) for m in stream]

    first = rendered(11)
    assert first == rendered(11)
    assert first != rendered(12)


def test_a_long_stream_has_every_message_type_and_sane_odds():
    world, stream = _stream(6, 25_000, rate=500, speed=150)
    parsed = [_check(m.routing_key, m.render(EPOCH + n)) for n, m in enumerate(stream)]
    kinds = Counter(type(m).__name__ for m in parsed)
    for kind in (
        "OddsChange",
        "BetStop",
        "BetSettlement",
        "Alive",
        "FixtureChange",
        "BetCancel",
        "RollbackBetSettlement",
        "RollbackBetCancel",
    ):
        assert kinds[kind], f"no {kind} in {kinds}"
    assert kinds["OddsChange"] > 0.9 * len(parsed)
    assert {m.product for m in parsed} == {1, 3}
    sports = {routing.parse_routing_key(m.routing_key).sport_id for m in stream} - {None}
    assert sports == {1, 2, 5, 109, 111}

    settlements = [m for m in parsed if isinstance(m, messages.BetSettlement)]
    assert {s.certainty for s in settlements} == {1, 2}
    outcomes = [o for s in settlements for mk in s.markets for o in mk.outcomes]
    assert any(o.void_factor == Decimal("0.5") for o in outcomes)  # quarter lines
    assert any(o.void_factor == Decimal(1) for o in outcomes)  # pushes
    assert any(o.dead_heat_factor is not None for o in outcomes)  # best-of-two e-sports draws
    confirmed = {s.event_id for s in settlements if s.certainty == 2}
    scouted = {s.event_id for s in settlements if s.certainty == 1}
    assert confirmed and confirmed <= scouted

    overrounds = list(_one_x_two_overrounds(parsed))
    assert len(overrounds) > 500
    assert all(Decimal("1.03") <= x <= Decimal("1.11") for x in overrounds), (
        min(overrounds),
        max(overrounds),
    )
    mean = sum(overrounds) / len(overrounds)
    assert Decimal("1.05") <= mean <= Decimal("1.08")
    _assert_catalog(parsed)

    # Prematch odds move to the live producer through a hand-over (-2), then live odds.
    handed = [
        m
        for m in parsed
        if isinstance(m, messages.OddsChange)
        and m.product == 3
        and m.markets
        and all(mk.status == -2 for mk in m.markets)
    ]
    assert handed
    for over in handed[:5]:
        after = parsed[parsed.index(over) + 1]
        assert isinstance(after, messages.OddsChange) and after.product == 1
        assert after.event_id == over.event_id and after.status.status == 1
    # Live soccer carries a running clock; a bet stop is followed by odds again.
    soccer = [
        m
        for m, o in zip(parsed, stream, strict=True)
        if isinstance(m, messages.OddsChange)
        and m.product == 1
        and ".1.sr:match." in o.routing_key
        and m.status
        and m.status.status == 1
    ]
    assert soccer and all(m.status.match_time for m in soccer)
    stops = [n for n, m in enumerate(parsed) if isinstance(m, messages.BetStop)]
    for n in stops[:10]:
        event = parsed[n].event_id
        assert any(
            isinstance(m, messages.OddsChange) and m.event_id == event for m in parsed[n + 1 :]
        )
    assert world.summary()["ended"] > 5


def test_only_odds_and_live_only():
    _, stream = _stream(5, 3000, rate=500, speed=60, live_only=True)
    assert {m.product for m in stream if m.kind != "alive"} == {1}
    world = World(seed=5, speed=60, epoch_ms=EPOCH)
    kinds = {world.next(k / 500, frozenset({"odds_change"})).kind for k in range(3000)}
    assert kinds == {"odds_change"}


def test_the_fixture_document_round_trips_and_bad_ones_are_refused():
    doc = xml.FixtureDoc(
        "sr:match:1",
        1_795_000_000_000,
        "sr:sport:1",
        "Soccer",
        "sr:category:1",
        "England",
        "sr:tournament:17",
        "Premier & Co",
        "sr:competitor:1",
        "Ashford <Rovers>",
        "sr:competitor:2",
        'Kingsbridge "United"',
    )
    fixture = parse_fixture(xml.fixture(doc), provider="uof")
    assert fixture.urn == "sr:match:1"
    assert fixture.start_time == datetime.fromtimestamp(1_795_000_000, tz=UTC)
    assert (fixture.sport_urn, fixture.sport_name) == ("sr:sport:1", "Soccer")
    assert (fixture.category_urn, fixture.category_name) == ("sr:category:1", "England")
    assert (fixture.tournament_urn, fixture.tournament_name) == ("sr:tournament:17", "Premier & Co")
    assert (fixture.home_name, fixture.away_name) == ("Ashford <Rovers>", 'Kingsbridge "United"')
    assert (fixture.home_urn, fixture.away_urn) == ("sr:competitor:1", "sr:competitor:2")
    sample = (
        b'<fixtures_fixture><fixture id="sr:match:1" start_time="2026-11-27T15:00:00+00:00"'
        b' liveodds="booked"><tournament id="sr:tournament:17" name="Premier League">'
        b'<sport id="sr:sport:1" name="Soccer"/><category id="sr:category:1" name="England"/>'
        b'</tournament><competitors><competitor id="sr:competitor:1" name="Arsenal"'
        b' qualifier="home"/><competitor id="sr:competitor:2" name="Chelsea"'
        b' qualifier="away"/></competitors></fixture></fixtures_fixture>'
    )
    assert parse_fixture(sample, provider="uof").start_time == datetime(
        2026, 11, 27, 15, tzinfo=UTC
    )
    for bad in (
        b"not xml",
        b"<fixtures_fixture/>",
        sample.replace(b"+00:00", b""),
        sample.replace(b'qualifier="away"', b""),
        sample.replace(b' name="Soccer"', b""),
        b'<!DOCTYPE x [<!ENTITY a "b">]><fixture id="x">&a;</fixture>',
    ):
        with pytest.raises(messages.MalformedMessage):
            parse_fixture(bad, provider="uof")


def _http(method, url, timeout=5):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def memory_simulator():
    sink = MemorySink()
    simulator = FeedSimulator(Config(seed=21, rate=400, speed=60, events=30), sink=sink)
    simulator.start()
    yield simulator, sink
    simulator.close()


def test_the_http_api(memory_simulator):
    simulator, sink = memory_simulator
    api = simulator.api_url
    _wait(lambda: len(sink.messages) > 50, what="the stream to start")

    # Recovery: 202 at once, then the producer's current odds with the request id, then
    # snapshot_complete with it, routed to the node.
    status, body = _http(
        "POST", f"{api}/v1/pre/recovery/initiate_request?after={EPOCH}&request_id=77&node_id=3"
    )
    assert status == 202 and b'response_code="ACCEPTED"' in body

    def complete():
        return [
            n
            for n, (key, raw) in enumerate(list(sink.messages))
            if key.startswith("-.-.-.snapshot_complete.") and b'request_id="77"' in raw
        ]

    _wait(lambda: complete(), what="snapshot_complete")
    end = complete()[0]
    assert sink.messages[end][0] == "-.-.-.snapshot_complete.-.-.-.3"
    done = messages.parse(sink.messages[end][1])
    assert (done.product, done.request_id) == (3, 77)
    replay = [
        (key, messages.parse(raw)) for key, raw in sink.messages[:end] if b'request_id="77"' in raw
    ]
    assert replay and len({m.event_id for _, m in replay}) == len(replay)  # one per event
    for key, message in replay:
        assert isinstance(message, messages.OddsChange) and message.product == 3
        assert message.status is not None and message.status.status == 0
        assert key.startswith("hi.pre.-.odds_change.") and key.endswith(".3")

    assert _http("POST", f"{api}/v1/liveodds/recovery/initiate_request?request_id=5")[0] == 202
    _wait(
        lambda: any(
            k == "-.-.-.snapshot_complete.-.-.-.-" and b'request_id="5"' in raw
            for k, raw in list(sink.messages)
        ),
        what="live snapshot",
    )
    assert _http("POST", f"{api}/v1/nope/recovery/initiate_request?request_id=5")[0] == 404
    assert _http("POST", f"{api}/v1/pre/recovery/initiate_request?after=1")[0] == 400
    assert _http("POST", f"{api}/v1/pre/recovery/initiate_request?request_id=x")[0] == 400

    # Fixtures.
    urn = simulator.world.order[0].urn
    fixture = fetch_fixture(api, urn, provider="uof")
    assert fixture is not None and fixture.urn == urn
    assert fixture.sport_urn in {s.urn for s in SPORTS.values()}
    assert fixture.home_name != fixture.away_name and fixture.start_time.tzinfo is not None
    assert fetch_fixture(api, "sr:match:1", provider="uof") is None

    # Producers.
    status, body = _http("GET", f"{api}/v1/descriptions/producers.xml")
    assert status == 200 and b'id="1"' in body and b'id="3"' in body and b"/v1/pre/" in body

    # Silence: nothing from producer 1 until it is resumed; the other producer goes on.
    assert _http("POST", f"{api}/control/producers/1/silence")[0] == 200
    time.sleep(0.1)
    mark = len(sink.messages)
    time.sleep(0.6)
    during = [messages.parse(raw).product for _, raw in sink.messages[mark:]]
    assert during and set(during) == {3}
    assert _http("POST", f"{api}/control/producers/1/resume")[0] == 200
    mark = len(sink.messages)
    _wait(
        lambda: any(messages.parse(raw).product == 1 for _, raw in sink.messages[mark:]),
        what="producer 1 again",
    )

    # Unsubscribe: one alive with subscribed="0".
    assert _http("POST", f"{api}/control/producers/3/unsubscribe")[0] == 200
    _wait(
        lambda: any(
            k.startswith("-.-.-.alive.") and b'subscribed="0"' in raw
            for k, raw in list(sink.messages)
        ),
        what="alive subscribed=0",
    )
    assert _http("POST", f"{api}/control/producers/9/silence")[0] == 404

    status, body = _http("GET", f"{api}/control/stats")
    stats = json.loads(body)
    assert status == 200 and stats["published"] > 0 and stats["by_type"]["odds_change"] > 0
    assert stats["dropped_silenced"] > 0 and stats["recoveries"] == 2
    assert _http("GET", f"{api}/nothing")[0] == 404


def test_the_management_command_options():
    from simulators.management.commands.feed_simulator import Command, config_from_options

    parser = Command().create_parser("manage.py", "feed_simulator")
    opts = vars(
        parser.parse_args(
            [
                "--rate",
                "2000",
                "--count",
                "10",
                "--seed",
                "3",
                "--exchange",
                "x",
                "--only-odds",
                "--live-only",
                "--broker",
                "amqp://u:p@h:5672//",
            ]
        )
    )
    config = config_from_options(opts)
    assert (config.rate, config.count, config.seed, config.exchange) == (2000, 10, 3, "x")
    assert config.only_odds and config.live_only and config.broker_url == "amqp://u:p@h:5672//"
    assert (config.events, config.event_base, config.api_port) == (40, 50_000_000, 0)


# With RabbitMQ.

amqp = pytest.mark.skipif(
    not settings.BROKER_IS_AMQP,
    reason="the broker is not AMQP here (BROKER_URL unset: Redis); CI runs these on RabbitMQ",
)


class Tap:
    """An exclusive queue bound with ``#`` to a unique exchange, collecting what arrives."""

    def __init__(self, exchange_name: str) -> None:
        import kombu

        self.connection = kombu.Connection(settings.BROKER_URL, connect_timeout=5)
        channel = self.connection.channel()
        self.exchange = queues.feed_exchange(exchange_name)
        self.exchange(channel).declare()
        queue = kombu.Queue(
            f"{exchange_name}.tap",
            exchange=self.exchange,
            routing_key="#",
            exclusive=True,
            auto_delete=True,
        )(channel)
        queue.declare()
        self.received: list[tuple[str, bytes, int | None]] = []
        self.consumer = kombu.Consumer(channel, queues=[queue], on_message=self._on, no_ack=True)
        self.consumer.consume()

    def _on(self, message) -> None:
        self.received.append(
            (
                message.delivery_info["routing_key"],
                message.body,
                message.properties.get("delivery_mode"),
            )
        )

    def drain(self, until, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                self.connection.drain_events(timeout=0.2)
        assert until(), f"timed out with {len(self.received)} messages"

    def collect(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                self.connection.drain_events(timeout=0.1)

    def close(self) -> None:
        self.consumer.cancel()
        self.exchange(self.connection.channel()).delete()
        self.connection.release()


@pytest.fixture
def tap():
    taps = []

    def make():
        exchange = f"test-feed-{uuid.uuid4().hex[:12]}"
        taps.append(Tap(exchange))
        return exchange, taps[-1]

    yield make
    for t in taps:
        t.close()


@amqp
def test_a_bounded_run_through_rabbitmq(tap):
    exchange, queue = tap()
    count = 15_000
    config = Config(
        seed=4, rate=2500, count=count, speed=600, exchange=exchange, broker_url=settings.BROKER_URL
    )
    stats = run(config)
    assert stats["published"] == count
    queue.drain(lambda: len(queue.received) >= count, timeout=20)
    assert len(queue.received) == count
    assert {mode for _, _, mode in queue.received} == {2}  # persistent

    parsed = [_check(key, body) for key, body, _ in queue.received]
    last: dict[int, int] = defaultdict(int)
    for message in parsed:
        assert message.timestamp >= last[message.product], "timestamps go back"
        last[message.product] = message.timestamp
    assert abs(max(last.values()) - time.time() * 1000) < 60_000
    kinds = Counter(type(m).__name__ for m in parsed)
    for kind in ("OddsChange", "BetStop", "BetSettlement", "Alive"):
        assert kinds[kind], f"no {kind} in {kinds}"
    certainties = {m.certainty for m in parsed if isinstance(m, messages.BetSettlement)}
    assert certainties == {1, 2}
    overrounds = list(_one_x_two_overrounds(parsed))
    assert overrounds and all(Decimal("1.03") <= x <= Decimal("1.11") for x in overrounds)
    _assert_catalog(parsed)


@amqp
def test_recovery_and_silence_through_rabbitmq(tap):
    exchange, queue = tap()
    config = Config(seed=8, rate=300, speed=60, exchange=exchange, broker_url=settings.BROKER_URL)
    with FeedSimulator(config) as simulator:
        api = simulator.api_url
        queue.drain(lambda: len(queue.received) > 30)
        after = int(time.time() * 1000) - 5000
        path = f"/v1/liveodds/recovery/initiate_request?after={after}&request_id=4242&node_id=7"
        status, _ = _http("POST", api + path)
        assert status == 202

        def completed():
            return any(key == "-.-.-.snapshot_complete.-.-.-.7" for key, _, _ in queue.received)

        queue.drain(completed)
        replay = [messages.parse(body) for key, body, _ in queue.received if key.endswith(".7")]
        assert isinstance(replay[-1], messages.SnapshotComplete)
        assert (replay[-1].request_id, replay[-1].product) == (4242, 1)
        odds = replay[:-1]
        assert odds and all(
            isinstance(m, messages.OddsChange)
            and m.request_id == 4242
            and m.product == 1
            and m.status.status == 1
            for m in odds
        )

        assert _http("POST", f"{api}/control/producers/1/silence")[0] == 200
        queue.collect(0.3)  # what was already on its way
        mark = len(queue.received)
        queue.collect(1.0)
        products = {messages.parse(body).product for _, body, _ in queue.received[mark:]}
        assert products == {3}
        assert _http("POST", f"{api}/control/producers/1/resume")[0] == 200
        mark = len(queue.received)
        queue.drain(
            lambda: any(messages.parse(b).product == 1 for _, b, _ in queue.received[mark:])
        )
