"""A provider's producers close only that provider's lines: two providers with the same producer
numbers, one of them down, and the other's lines still take bets, live decisions and cash-outs
and show open on the pages and their sockets."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.db import transaction
from django.test import Client

from apps.bets import cashout
from apps.bets import live as live_bets
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.catalog.models import Event, ReplicaEvent
from apps.catalog.store import replicate_event
from betting import ttl_cache
from shards import map as shard_map
from shards.map import GLOBAL_ALIAS
from tests import live
from tests.bets_helpers import LIVE, ONE_X_TWO, M, line, open_book, slip
from tests.feed_helpers import adapter, make_event, market, odds_change, provider, replicate
from tests.wallet_helpers import books_balance, new_player

OTHER = "sr:match:4100"  # an event of the second provider


@pytest.fixture
def books(clean):
    """The first provider's book (producer 1 up) and a second provider whose adapter has just
    started: its producer 1 is down until it recovers."""
    ttl_cache.clear_all()
    with open_book() as feed:
        other = adapter(provider(name="other"))
        try:
            make_event(OTHER, provider="other")
            other.process([odds_change(OTHER, 1000, market(1, ONE_X_TWO))])  # first seen: down
            replicate()
            yield feed, other
        finally:
            other.coalescer.stop()
            ttl_cache.clear_all()


@pytest.fixture(scope="module")
def gateway(platform):
    with live.gateway_server() as port:
        yield port


def _place(brand, player, key, market_line):
    legs = [(market_line, "1", "2.10")]
    return bet_place(
        brand_id=brand.id, player_id=player.id, currency=brand.currency, slip=slip(key, legs)
    ).bet


def test_another_providers_producer_down_leaves_bets_live_decisions_and_cash_outs(books, alpha):
    feed, _other = books
    player = new_player(alpha, funds=10_000)
    bet = _place(alpha, player, "prematch", line(M))
    assert bet.status == "open"
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    done = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c", seen_offer=offer)
    assert done.amount == offer > 0
    with pytest.raises(BetRefused) as refused:  # the provider whose producer is down: closed
        _place(alpha, player, "other", line(OTHER))
    assert refused.value.code == "producer_down"

    feed.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    pending = _place(alpha, player, "live", line(M))
    assert pending.status == "pending"
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=pending.id) == "open"
    books_balance()


def test_a_replica_whose_provider_is_not_known_yet_is_closed_by_any_providers_producer(
    books, alpha
):
    """A replica written before events carried their provider: closed while any provider's
    producer of its number is down, until its event's next fixture says whose it is."""
    event = Event.objects.get(urn=M)
    for alias in shard_map.aliases():
        assert ReplicaEvent.objects.using(alias).get(id=event.id).provider == "uof"
        ReplicaEvent.objects.using(alias).filter(id=event.id).update(provider="")
    player = new_player(alpha, funds=10_000)
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "unknown", line(M))
    assert refused.value.code == "producer_down"
    with transaction.atomic(using=GLOBAL_ALIAS):
        replicate_event(event)
    replicate()
    assert _place(alpha, player, "known", line(M)).status == "open"


def _event(urn):
    return Event.objects.get(urn=urn).id


def _open_on_page(brand, event_id):
    """Each line of the event's markets as the page shows it: open, or closed."""
    page = Client(HTTP_HOST=f"{brand.slug}.localhost").get(f"/sports/events/{event_id}/markets")
    sections = re.findall(
        r'<section class="market( closed)?" data-line="(\d+)"', page.content.decode()
    )
    return {int(pk): not closed for closed, pk in sections}


def test_another_providers_producer_down_leaves_the_pages_open(books, gateway, alpha):
    assert _open_on_page(alpha, _event(M)) == {line(M): True, line(M, 18, "total=2.5"): True}
    assert _open_on_page(alpha, _event(OTHER)) == {line(OTHER): False}
    path = f"/ws/events/{_event(M)}/"
    with live.websocket(gateway, "alpha.localhost", path=path) as sock:
        deadline = time.monotonic() + 10
        while True:
            message = json.loads(sock.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("full"):
                break
    assert {m["id"]: m["open"] for m in message["markets"]} == {
        line(M): True,
        line(M, 18, "total=2.5"): True,
    }
