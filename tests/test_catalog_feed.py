"""The UOF adapter's apply path: every message type, idempotency, ordering, producers.

Messages go through ``UofAdapter.process`` (parse, translate, one transaction, replication through
the outbox); replication is then applied on both shards in-process. The broker and real processes
are exercised by ``test_feed_processes.py``.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.catalog.models import (
    Event,
    Market,
    ReplicaEvent,
    ReplicaMarket,
    ReplicaProducer,
    ReplicaResult,
    Result,
)
from apps.outbox.models import GlobalOutbox
from apps.providers.models import Producer, Provider
from shards import map as shard_map
from tests.feed_helpers import adapter, make_event, market, odds_change, provider, replicate, sample

M = "sr:match:1000"
ONE_X_TWO = {"1": "2.10", "2": "3.30", "3": "3.60"}


@pytest.fixture
def feed(clean):
    a = adapter()
    yield a
    a.coalescer.stop()


def _line(event, market_id=1, specifiers=""):
    return Market.objects.get(event=event, market_id=market_id, specifiers=specifiers)


def _replica_lines(market_id=1, specifiers=""):
    return [
        ReplicaMarket.objects.using(alias).get(market_id=market_id, specifiers=specifiers)
        for alias in shard_map.aliases()
    ]


# -- the provider's samples ---------------------------------------------------------------------


def test_the_sample_odds_change_applies_markets_outcomes_and_the_scoreboard(feed):
    event = make_event("sr:match:10927088")
    replicate()
    feed.process([sample("odds_change")])
    event.refresh_from_db()
    assert (event.status, event.live, event.home_score, event.away_score) == (1, True, 0, 2)
    assert event.match_time == "27:33"
    total = _line(event, 18, "total=2.5")
    assert total.status == 1 and total.producer == 4
    assert {o["id"]: o["odds"] for o in total.outcomes}["12"] == "1.14"
    assert _line(event, 68, "total=1.5").status == -3  # settled, as the message says
    # Variant markets the platform has no outcome names for still apply (the id is described).
    assert Market.objects.filter(event=event, market_id=71).exists()
    lines = Market.objects.filter(event=event).count()
    assert lines > 20
    # One replication event for the whole message (and one for its producer, first seen).
    topics = sorted(GlobalOutbox.objects.values_list("topic", flat=True))
    assert topics == ["catalog.markets", "catalog.producer"]
    replicate()
    for alias in shard_map.aliases():
        assert ReplicaMarket.objects.using(alias).filter(event_id=event.id).count() == lines
        assert ReplicaEvent.objects.using(alias).get(id=event.id).live is True
        replica = ReplicaMarket.objects.using(alias).get(id=total.id)
        assert replica.outcomes == total.outcomes  # the odds themselves, as JSON objects


def test_the_sample_bet_stop_suspends_the_events_active_markets(feed):
    event = make_event("sr:match:9578495")
    feed.process([odds_change(event.urn, 1465848395000, market(1, ONE_X_TWO))])
    feed.process([sample("bet_stop")])  # timestamp 1465848395199, groups="all"
    line = _line(event)
    assert (line.status, line.ts) == (-1, 1465848395199)
    replicate()
    assert {r.status for r in _replica_lines()} == {-1}


def test_the_sample_settlement_records_every_market_once(feed):
    event = make_event("sr:match:9583135", "sr:sport:5")
    feed.process([sample("bet_settlement")])
    results = Result.objects.filter(event=event, kind="settle")
    assert results.count() == 46  # every market of the sample
    sample_line = results.get(market_id=213, specifiers="gamenr=3|setnr=3")
    assert sample_line.certainty == 2
    assert all(o["result"] in (0, 1, -1) for o in sample_line.outcomes)
    assert _line(event, 213, "gamenr=3|setnr=3").status == -3
    feed.process([sample("bet_settlement")])  # the same message again
    assert results.count() == 46  # every market of the sample
    replicate()
    for alias in shard_map.aliases():
        assert ReplicaResult.objects.using(alias).filter(event_id=event.id).count() == 46


def test_the_sample_cancel_and_rollbacks_apply(feed):
    event = make_event("sr:match:10237855", "sr:sport:5")
    feed.process([sample("bet_cancel")])
    cancels = Result.objects.filter(event=event, kind="cancel")
    assert cancels.count() == 3
    assert _line(event, 312, "pointnr=45|setnr=4").status == -4
    # The rollbacks carry the same timestamp as the cancel in the samples: a rollback is its
    # own kind of result, so it is recorded beside the cancel.
    feed.process([sample("rollback_bet_cancel"), sample("rollback_bet_settlement")])
    assert Result.objects.filter(event=event, kind="rollback_cancel").count() == 2
    assert Result.objects.filter(event=event, kind="rollback_settle").count() == 2
    replicate()
    kinds = {r.kind for r in ReplicaResult.objects.using("shard_1").filter(event_id=event.id)}
    assert kinds == {"cancel", "rollback_cancel", "rollback_settle"}


def test_the_sample_fixture_change_moves_the_start_time(feed):
    event = make_event("sr:match:8816128")
    feed.process([sample("fixture_change")])
    event.refresh_from_db()
    assert int(event.start_time.timestamp() * 1000) == 1466436600000
    replicate()
    replica = ReplicaEvent.objects.using("shard_0").get(id=event.id)
    assert replica.start_time == event.start_time


def test_the_sample_system_messages_drive_the_producers(feed):
    feed.producers.start()
    feed.process([sample("alive")])  # product 1, subscribed: no recovery API, so it opens
    assert Producer.objects.get(producer_id=1).state == "up"
    feed.process([sample("product_down")])
    assert Producer.objects.get(producer_id=1).state == "down"
    feed.process([sample("alive"), sample("snapshot_completed")])
    assert Producer.objects.get(producer_id=1).state == "up"


# -- idempotency and ordering -------------------------------------------------------------------


def test_a_duplicate_message_changes_nothing_and_replicates_nothing(feed):
    event = make_event(M)
    message = odds_change(M, 1000, market(1, ONE_X_TWO))
    feed.process([message])
    assert GlobalOutbox.objects.filter(topic="catalog.markets").count() == 2  # fixture, odds
    replicate()
    feed.process([message])
    assert GlobalOutbox.objects.count() == 0
    assert _line(event).ts == 1000


def test_an_older_message_never_overwrites_newer_state(feed):
    event = make_event(M)
    newer = odds_change(M, 2000, market(1, {"1": "1.50", "2": "4.00", "3": "6.00"}))
    older = odds_change(M, 1000, market(1, ONE_X_TWO))
    feed.process([newer])
    feed.process([older])
    assert {o["id"]: o["odds"] for o in _line(event).outcomes}["1"] == "1.50"
    # Inside one batch too, in either order.
    feed.process([odds_change(M, 3000, market(1, ONE_X_TWO)), older])
    assert _line(event).ts == 3000
    replicate()
    assert {r.ts for r in _replica_lines()} == {3000}


def test_a_bet_stop_older_than_the_odds_does_not_suspend_them(feed):
    event = make_event(M)
    feed.process([odds_change(M, 2000, market(1, ONE_X_TWO))])
    feed.process([f'<bet_stop product="1" event_id="{M}" timestamp="1500"/>'.encode()])
    assert _line(event).status == 1
    feed.process([f'<bet_stop product="1" event_id="{M}" timestamp="2500"/>'.encode()])
    assert _line(event).status == -1
    feed.process([odds_change(M, 3000, market(1, ONE_X_TWO))])  # odds resume after the stop
    assert _line(event).status == 1


def test_a_bet_stop_for_a_group_suspends_only_that_groups_markets(feed):
    event = make_event(M)
    lines = market(1, ONE_X_TWO) + market(60, ONE_X_TWO)  # 60 is a 1st-half market
    feed.process([odds_change(M, 1000, lines)])
    stop = f'<bet_stop product="1" event_id="{M}" timestamp="1100" groups="1st_half"/>'
    feed.process([stop.encode()])
    assert _line(event, 60).status == -1
    assert _line(event, 1).status == 1


def test_settled_twice_live_then_confirmed_and_rolled_back_in_order_on_every_shard(feed):
    event = make_event(M)
    settle = (
        '<bet_settlement product="1" event_id="{m}" timestamp="{ts}" certainty="{c}"><outcomes>'
        '<market id="1"><outcome id="1" result="1"/><outcome id="2" result="0"/>'
        '<outcome id="3" result="0"/></market></outcomes></bet_settlement>'
    )
    rollback = (
        f'<rollback_bet_settlement product="1" event_id="{M}" timestamp="4000">'
        '<market id="1"/></rollback_bet_settlement>'
    )
    feed.process([settle.format(m=M, ts=2000, c=1).encode()])
    feed.process([settle.format(m=M, ts=3000, c=2).encode(), rollback.encode()])
    feed.process([settle.format(m=M, ts=3000, c=2).encode()])  # redelivered
    results = list(Result.objects.filter(event=event).order_by("ts").values_list("kind", "ts"))
    assert results == [("settle", 2000), ("settle", 3000), ("rollback_settle", 4000)]
    assert _line(event).status == -1  # reopened for a new settlement, not settled
    replicate()
    for alias in shard_map.aliases():
        got = ReplicaResult.objects.using(alias).filter(event_id=event.id).order_by("ts")
        assert [(r.kind, r.ts, r.certainty) for r in got] == [
            ("settle", 2000, 1),
            ("settle", 3000, 2),
            ("rollback_settle", 4000, None),
        ]
        assert got[0].outcomes[0] == {
            "id": "1",
            "result": 1,
            "void_factor": "0",
            "dead_heat_factor": None,
        }


def test_a_cancel_window_and_its_rollback_reach_the_shards(feed):
    event = make_event(M)
    cancel = (
        f'<bet_cancel product="1" event_id="{M}" timestamp="5000" start_time="1000" '
        'end_time="2000" void_reason="12"><market id="1"/></bet_cancel>'
    )
    feed.process([cancel.encode()])
    row = Result.objects.get(event=event, kind="cancel")
    assert (row.start_time, row.end_time) == (1000, 2000)
    assert _line(event).status == -4
    undo = (
        f'<rollback_bet_cancel product="1" event_id="{M}" timestamp="6000" start_time="1000" '
        'end_time="2000"><market id="1"/></rollback_bet_cancel>'
    )
    feed.process([undo.encode()])
    assert _line(event).status == -1
    replicate()
    replicate()  # nothing left: each result reached each shard once
    for alias in shard_map.aliases():
        rows = ReplicaResult.objects.using(alias).filter(event_id=event.id).order_by("ts")
        assert [(r.kind, r.start_time, r.end_time) for r in rows] == [
            ("cancel", 1000, 2000),
            ("rollback_cancel", 1000, 2000),
        ]


def test_prematch_hands_over_to_live_and_is_not_heard_after(feed):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO), product=3)])
    feed.process([odds_change(M, 2000, market(1, ONE_X_TWO, status=-2), product=3)])
    assert _line(event).status == -2
    # The prematch producer's later updates are not heard; the line waits for live odds.
    feed.process([odds_change(M, 2500, market(1, ONE_X_TWO), product=3)])
    assert _line(event).status == -2
    feed.process([odds_change(M, 3000, market(1, ONE_X_TWO), product=1)])
    line = _line(event)
    assert (line.status, line.producer) == (1, 1)


# -- what is skipped ----------------------------------------------------------------------------


def test_malformed_unknown_and_disabled_messages_are_counted_and_skipped(clean):
    row = provider(enabled_sports=["sr:sport:1"])
    feed = adapter(row)
    try:
        make_event(M)
        make_event("sr:match:2000", "sr:sport:5")
        feed.process(
            [
                b"<odds_change product=",  # malformed
                odds_change("sr:match:999999", 1000, market(1, ONE_X_TWO)),  # unknown event
                odds_change("sr:match:2000", 1000, market(186, {"4": "1.5", "5": "2.5"})),
                odds_change(M, 1000, market(99999, {"1": "1.5"}) + market(1, ONE_X_TWO)),
            ]
        )
        feed._save_stats()
    finally:
        feed.coalescer.stop()
    stats = Provider.objects.get(pk=row.pk)
    assert (stats.messages, stats.malformed) == (4, 1)
    assert (stats.unknown_event, stats.disabled_sport, stats.unknown_market) == (1, 1, 1)
    # The rest of the last message still applied; nothing of the skipped ones did.
    assert list(Market.objects.values_list("market_id", flat=True)) == [1]
    assert not Event.objects.filter(urn="sr:match:999999").exists()


# -- producers ----------------------------------------------------------------------------------


class _RecoveryApi(BaseHTTPRequestHandler):
    requests: list[tuple[str, dict]] = []

    def do_POST(self):
        url = urlsplit(self.path)
        type(self).requests.append((url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))
        self.send_response(202)
        self.end_headers()
        self.wfile.write(b'<response response_code="ACCEPTED"/>')

    def log_message(self, *args):
        return None


@pytest.fixture
def recovery_api():
    _RecoveryApi.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecoveryApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _RecoveryApi.requests
    server.shutdown()
    server.server_close()


def _alive(product=1, subscribed=1, ts=1):
    return f'<alive product="{product}" timestamp="{ts}" subscribed="{subscribed}"/>'.encode()


def _snapshot(request_id, product=1):
    return f'<snapshot_complete product="{product}" timestamp="9" request_id="{request_id}"/>'


def _down_on_shards(producer=1):
    return {
        ReplicaProducer.objects.using(a).get(provider="uof", producer=producer).down
        for a in shard_map.aliases()
    }


def test_a_silent_producer_goes_down_and_reopens_only_at_its_snapshot(clean, recovery_api):
    url, requests = recovery_api
    row = provider(api_url=url)
    Producer.objects.create(provider=row, producer_id=1, name="LO", api_name="liveodds")
    Producer.objects.create(provider=row, producer_id=3, name="Ctrl", api_name="pre")
    clock = [100.0]
    feed = adapter(row, alive_timeout=20)
    feed.producers.clock = lambda: clock[0]
    try:
        feed.producers.start()
        make_event(M)
        now = int(time.time() * 1000)
        feed.process([odds_change(M, now, market(1, ONE_X_TWO))])
        # Startup: every producer is down until recovered.
        feed.process([_alive(1), _alive(3)])
        assert [p for p, _ in requests] == [
            "/v1/liveodds/recovery/initiate_request",
            "/v1/pre/recovery/initiate_request",
        ]
        # Nothing was applied before the adapter started: full recoveries.
        assert "after" not in requests[0][1] and "after" not in requests[1][1]
        first = Producer.objects.get(producer_id=1)
        assert first.state == "recovering"
        feed.process([_snapshot(first.recovery_request_id + 100).encode()])  # not ours
        assert Producer.objects.get(producer_id=1).state == "recovering"
        feed.process([_snapshot(first.recovery_request_id).encode()])
        assert Producer.objects.get(producer_id=1).state == "up"
        assert Producer.objects.get(producer_id=3).state == "recovering"  # unaffected
        replicate()
        assert _down_on_shards(1) == {False}
        assert _down_on_shards(3) == {True}

        # Producer 1 falls silent for more than 20 s: down, on every shard.
        clock[0] += 10
        feed.process([_alive(1)])
        clock[0] += 21
        feed.producers.tick()
        assert Producer.objects.get(producer_id=1).state == "down"
        replicate()
        assert _down_on_shards(1) == {True}
        # Messages keep applying while it is down (they may follow a gap), so the replay starts
        # after the last message applied before it went down; it reopens only at the snapshot.
        feed.process([odds_change(M, now + 5000, market(1, ONE_X_TWO))])
        feed.process([_alive(1)])
        assert requests[-1][1]["after"] == str(now)
        request_id = Producer.objects.get(producer_id=1).recovery_request_id
        feed.process([_snapshot(request_id).encode()])
        replicate()
        assert _down_on_shards(1) == {False}

        # subscribed=0 takes it down at once.
        feed.process([_alive(1, subscribed=0)])
        assert Producer.objects.get(producer_id=1).state == "down"
    finally:
        feed.coalescer.stop()


# -- what a review found, kept fixed ------------------------------------------------------------


def test_a_database_outage_stalls_the_batch_and_skips_nothing(feed, monkeypatch):
    from django.db import OperationalError

    event = make_event(M)
    real, calls = feed._apply_once, {"n": 0}

    def flaky(parsed):
        calls["n"] += 1
        if calls["n"] <= 8:
            raise OperationalError("connection refused")
        return real(parsed)

    monkeypatch.setattr(feed, "_apply_once", flaky)
    monkeypatch.setattr(feed.stop, "wait", lambda seconds: False)  # no back-off sleeps
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    assert calls["n"] == 9
    assert _line(event).ts == 1000  # applied once the database came back


def test_odds_older_than_a_bet_stop_never_reopen_a_line(feed):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO, status=-1))])  # suspended already
    feed.process([f'<bet_stop product="1" event_id="{M}" timestamp="2000"/>'.encode()])
    feed.process([odds_change(M, 1500, market(1, ONE_X_TWO))])  # older than the stop, late
    line = _line(event)
    assert (line.status, line.ts) == (-1, 2000)


def test_a_bet_stop_of_one_producer_leaves_anothers_lines(feed):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO), product=3)])
    feed.process([f'<bet_stop product="1" event_id="{M}" timestamp="2000"/>'.encode()])
    assert _line(event).status == 1


def test_hand_over_holds_whatever_the_order_inside_a_batch(feed):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO), product=3)])
    feed.process(
        [
            odds_change(M, 2000, market(1, ONE_X_TWO, status=-2), product=3),
            odds_change(M, 3000, market(1, ONE_X_TWO), product=1),
            odds_change(M, 3500, market(1, ONE_X_TWO), product=3),  # not heard any more
        ]
    )
    line = _line(event)
    assert (line.status, line.producer, line.ts) == (1, 1, 3000)
    feed.process([odds_change(M, 4000, market(1, ONE_X_TWO, status=0), product=3)])
    assert _line(event).ts == 3000  # nor in a later batch


def test_a_desk_action_reaching_a_shard_before_the_line_still_holds(feed):
    from apps.catalog import desk
    from apps.catalog.models import ReplicaDesk
    from apps.outbox.services import OutboxEvent, event_apply_once

    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    line = _line(event)
    desk.suspend(actor="t", suspended=True, markets=[line])
    desk.suspend(actor="t", suspended=False, markets=[line])
    desk.suspend(actor="t", suspended=True, markets=[line])
    rows = list(GlobalOutbox.objects.order_by("id"))
    versions = [r.payload["version"] for r in rows if r.topic == "catalog.desk"]
    assert versions == sorted(versions) and len(set(versions)) == 3
    for row in reversed(rows):  # desk actions first (newest first), the line last
        event_apply_once(
            event=OutboxEvent(
                row.event_id, row.topic, row.audience, row.brand_id, "global", row.payload
            ),
            using="shard_0",
        )
    assert ReplicaDesk.objects.using("shard_0").get(target_id=line.id).suspended is True
    assert ReplicaMarket.objects.using("shard_0").filter(id=line.id).exists()


START = 1900000000000


def test_an_older_fixture_never_replaces_a_newer_start_on_a_shard(feed):
    from apps.outbox.services import OutboxEvent, event_apply_once

    event = make_event(M)
    change = f'<fixture_change product="3" event_id="{M}" timestamp="5000" start_time="{START}"/>'
    feed.process([change.encode()])
    rows = list(GlobalOutbox.objects.filter(topic="catalog.markets").order_by("id"))
    for row in reversed(rows):  # the change first, then the creation
        event_apply_once(
            event=OutboxEvent(
                row.event_id, row.topic, row.audience, row.brand_id, "global", row.payload
            ),
            using="shard_1",
        )
    event.refresh_from_db()
    assert ReplicaEvent.objects.using("shard_1").get(id=event.id).start_time == event.start_time


def test_a_cold_cache_fill_never_overwrites_a_newer_line(feed):
    import json

    from apps.catalog import live, snapshot

    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    live.client().delete(live.event_key(event.id))
    line = _line(event)
    newer = [line.id, 1, "", 1, 1, 2000, [{"id": "1", "odds": "9.00", "active": True}]]
    live.client().hset(live.event_key(event.id), live.market_field(1, ""), json.dumps(newer))
    _status, rows, _desk = snapshot.cached(event)  # fills from the catalog (ts 1000)
    assert rows[0].ts == 2000


def test_offering_rules_hide_before_suspend_and_match_any_specifier_order(clean):
    from decimal import Decimal

    from django.db import IntegrityError, transaction

    from apps.catalog.models import BrandPricing, OfferingRule
    from apps.catalog.offering import compile_offer

    OfferingRule.objects.create(brand_id=1, level="market", target=M, market_id=213, action="hide")
    OfferingRule.objects.create(
        brand_id=1,
        level="market",
        target=M,
        market_id=213,
        specifiers="setnr=3|gamenr=3",
        action="suspend",
    )
    offer = compile_offer(1)
    assert offer.line_state(M, 213, "gamenr=3|setnr=3") == "hidden"
    assert OfferingRule.objects.get(action="suspend").specifiers == "gamenr=3|setnr=3"
    with pytest.raises(IntegrityError), transaction.atomic():
        BrandPricing.objects.create(brand_id=1, margin_pct=Decimal("-100"))
