"""The sportsbook's pages, live odds sockets, brands' offerings and the content manager."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.test import Client
from websockets.exceptions import InvalidStatus

from apps.catalog import desk
from apps.catalog.models import BrandPricing, CatalogAudit, Market, OfferingRule, ReplicaDesk
from apps.providers.models import Provider
from betting import ttl_cache
from shards import map as shard_map
from tests import live
from tests.feed_helpers import adapter, make_event, market, odds_change, replicate
from tests.test_backoffice import staff_client

M = "sr:match:3000"
ONE_X_TWO = {"1": "2.10", "2": "3.30", "3": "3.60"}


@pytest.fixture
def feed(clean):
    ttl_cache.clear_all()
    a = adapter(push_interval=0.05)
    yield a
    a.coalescer.stop()
    ttl_cache.clear_all()


@pytest.fixture(scope="module")
def gateway(platform):
    with live.gateway_server() as port:
        yield port


def _page(brand, path):
    return Client(HTTP_HOST=f"{brand.slug}.localhost").get(path)


def _recv(sock, *, until, timeout=10.0):
    """Messages from ``sock`` until one satisfies ``until``; that one."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(sock.recv(timeout=max(0.1, deadline - time.monotonic())))
        if until(message):
            return message


def _odds(message, line_id, outcome="1"):
    for line in message["markets"]:
        if line["id"] == line_id:
            return {o["id"]: o["odds"] for o in line["outcomes"]}[outcome]
    return None


def test_the_event_page_shows_named_markets_and_the_brands_prices(feed, alpha, beta):
    event = make_event(M, home="Arsenal", away="Chelsea")
    status = (
        '<sport_event_status status="1" home_score="1" away_score="0">'
        '<clock match_time="12:00"/></sport_event_status>'
    )
    lines = market(1, ONE_X_TWO) + market(18, {"12": "1.80", "13": "2.00"}, specifiers="total=2.5")
    feed.process([odds_change(M, 1000, lines, status=status)])
    BrandPricing.objects.create(brand_id=alpha.id, margin_pct=Decimal("5"))
    OfferingRule.objects.create(
        brand_id=beta.id, level="market", target=M, market_id=18, action="hide"
    )
    ttl_cache.clear_all()

    page = _page(alpha, f"/sports/events/{event.id}/").content.decode()
    assert "Arsenal v Chelsea" in page and "1:0" in page and "12:00" in page
    assert "Total 2.5" in page and "over 2.5" in page
    assert ">2.00<" in page  # 2.10 / 1.05, rounded down
    other = _page(beta, f"/sports/events/{event.id}/").content.decode()
    assert ">2.10<" in other and "Total 2.5" not in other  # beta hides the totals

    listing = _page(alpha, "/sports/").content.decode()
    assert "Arsenal v Chelsea" in listing and "LIVE" in listing


def test_an_event_a_brand_does_not_offer_is_not_found(feed, alpha, beta):
    event = make_event(M)
    OfferingRule.objects.create(
        brand_id=alpha.id, level="sport", target="sr:sport:1", action="hide"
    )
    ttl_cache.clear_all()
    assert _page(alpha, f"/sports/events/{event.id}/").status_code == 404
    assert _page(beta, f"/sports/events/{event.id}/").status_code == 200
    assert _page(alpha, "/sports/events/999999/").status_code == 404


def test_an_odds_override_and_a_brand_suspension(feed, alpha):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO) + market(60, ONE_X_TWO))])
    OfferingRule.objects.create(
        brand_id=alpha.id,
        level="outcome",
        target=M,
        market_id=1,
        outcome_id="1",
        action="odds",
        odds=Decimal("2.50"),
    )
    OfferingRule.objects.create(
        brand_id=alpha.id, level="market", target=M, market_id=60, action="suspend"
    )
    ttl_cache.clear_all()
    from apps.catalog import snapshot
    from apps.catalog.offering import offer_for

    view = snapshot.view(event, offer_for(alpha.id), producers_down=set())
    lines = {line["market"]: line for line in view["markets"]}
    assert {o["id"]: o["odds"] for o in lines[1]["outcomes"]}["1"] == "2.50"
    assert lines[1]["open"] is True and lines[60]["open"] is False


def test_live_odds_reach_each_brands_socket_coalesced_and_priced(feed, gateway, alpha, beta):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    line = Market.objects.get(event=event, market_id=1).id
    BrandPricing.objects.create(brand_id=alpha.id, margin_pct=Decimal("10"))
    path = f"/ws/events/{event.id}/"
    with (
        live.websocket(gateway, "alpha.localhost", path=path) as a,
        live.websocket(gateway, "beta.localhost", path=path) as b,
    ):
        first = _recv(a, until=lambda m: m.get("full"))
        assert _odds(first, line) == "1.90"  # 2.10 / 1.10, rounded down
        _recv(b, until=lambda m: m.get("full"))
        # A burst of changes inside one push interval: the newest state wins.
        for ts, price in ((2000, "2.20"), (2001, "2.30"), (2002, "2.40")):
            feed.process([odds_change(M, ts, market(1, {**ONE_X_TWO, "1": price}))])
        got_b = _recv(b, until=lambda m: not m["full"] and _odds(m, line) == "2.40")
        assert got_b["ts"] == 2002
        got_a = _recv(a, until=lambda m: not m["full"] and m["ts"] == 2002)
        assert _odds(got_a, line) == "2.18"
        # A bet stop closes the line on the page.
        feed.process([f'<bet_stop product="1" event_id="{M}" timestamp="3000"/>'.encode()])
        stopped = _recv(b, until=lambda m: m["ts"] == 3000)
        assert stopped["markets"][0]["open"] is False


def test_a_socket_for_an_event_not_offered_is_refused(feed, gateway, alpha):
    event = make_event(M)
    OfferingRule.objects.create(brand_id=None, level="event", target=M, action="hide")
    ttl_cache.clear_all()
    time.sleep(0.6)  # the gateway's offer cache (OFFER_CACHE_S in the tests)
    with pytest.raises(InvalidStatus):
        live.websocket(gateway, "alpha.localhost", path=f"/ws/events/{event.id}/")


def test_the_desk_suspends_everywhere_and_the_change_is_audited(feed, gateway, alpha):
    time.sleep(0.6)  # the gateway forgets the rules of the tests before
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    replicate()
    line = Market.objects.get(event=event, market_id=1)
    with live.websocket(gateway, "alpha.localhost", path=f"/ws/events/{event.id}/") as sock:
        _recv(sock, until=lambda m: m.get("full"))
        assert desk.suspend(actor="platform:boss", suspended=True, markets=[line]) == 1
        closed = _recv(sock, until=lambda m: m.get("full"))
        assert closed["markets"][0]["open"] is False
    assert desk.suspend(actor="platform:boss", suspended=True, markets=[line]) == 0
    replicate()
    for alias in shard_map.aliases():
        desk_row = ReplicaDesk.objects.using(alias).get(kind="market", target_id=line.id)
        assert desk_row.suspended is True
    audit = CatalogAudit.objects.get()
    assert (audit.actor, audit.action, audit.after) == (
        "platform:boss",
        "suspend market",
        {"suspended": True},
    )


def test_the_provider_manager_and_content_manager_pages(feed, alpha, beta):
    make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    feed._save_stats()
    platform = staff_client("localhost", "public")
    for path in (
        "/admin/providers/provider/",
        "/admin/catalog/event/",
        "/admin/catalog/market/",
        "/admin/catalog/result/",
        "/admin/catalog/offeringrule/",
        "/admin/catalog/catalogaudit/",
        "/admin/catalog/sport/",
    ):
        assert platform.get(path).status_code == 200, path
    provider = Provider.objects.get(name="uof")
    page = platform.get(f"/admin/providers/provider/{provider.pk}/change/").content.decode()
    assert "Live status" in page and "liveodds" in page

    brand = staff_client("alpha.localhost", alpha.schema_name)
    response = brand.post(
        "/admin/catalog/offeringrule/add/",
        {
            "level": "event",
            "target": M,
            "action": "suspend",
            "specifiers": "",
            "outcome_id": "",
            "note": "injury news",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = OfferingRule.objects.get()
    assert rule.brand_id == alpha.id and rule.created_by == "alpha:boss"
    audit = CatalogAudit.objects.get()
    assert (audit.brand_id, audit.action) == (alpha.id, "add offering rule")
    other = OfferingRule.objects.create(brand_id=beta.id, level="event", target=M, action="hide")
    listing = brand.get("/admin/catalog/offeringrule/").content.decode()
    assert f"/offeringrule/{rule.pk}/change/" in listing
    assert f"/offeringrule/{other.pk}/change/" not in listing
    assert brand.get("/admin/providers/provider/").status_code == 404  # platform only


def test_a_producer_going_down_closes_its_lines_on_open_pages(feed, gateway, alpha):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])  # producer 1, first seen: down
    feed.process([b'<alive product="1" timestamp="1" subscribed="1"/>'])  # no API: up at once

    def full_with(is_open):
        return lambda m: m.get("full") and m["markets"][0]["open"] is is_open

    with live.websocket(gateway, "alpha.localhost", path=f"/ws/events/{event.id}/") as sock:
        _recv(sock, until=full_with(True))
        feed.process([b'<alive product="1" timestamp="2" subscribed="0"/>'])
        _recv(sock, until=full_with(False), timeout=5)  # refreshed: the line closed
        feed.process([b'<alive product="1" timestamp="3" subscribed="1"/>'])
        _recv(sock, until=full_with(True), timeout=5)  # and open again


def test_the_gateway_refuses_another_sites_page_and_answers_pings(feed, gateway, alpha):
    import socket as stdlib_socket

    from websockets.sync.client import connect

    event = make_event(M)
    path = f"/ws/events/{event.id}/"
    with pytest.raises(InvalidStatus) as refused:
        connect(
            f"ws://alpha.localhost:{gateway}{path}",
            sock=stdlib_socket.create_connection(("127.0.0.1", gateway), timeout=10),
            origin="http://evil.example",
            proxy=None,
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as missing:
        live.websocket(gateway, "alpha.localhost", path="/ws/elsewhere/")
    assert missing.value.response.status_code == 404
    with live.websocket(gateway, "alpha.localhost", path=path) as sock:
        _recv(sock, until=lambda m: m.get("full"))
        sock.send('{"type": "ping"}')
        assert _recv(sock, until=lambda m: True) == {"type": "pong"}


def test_the_event_page_renders_from_the_odds_cache_with_its_scoreboard_and_video(feed, alpha):
    event = make_event(M)
    feed.process([odds_change(M, 1000, market(1, ONE_X_TWO))])
    # The catalog row changes behind the cache's back: the page still shows the cached odds.
    line = Market.objects.get(event=event, market_id=1)
    line.outcomes = [{**o, "odds": "9.99"} for o in line.outcomes]
    line.save()
    event.video = {
        "provider": "video",
        "stream_id": "s1",
        "status": "live",
        "url": "https://streams.example/hls/s1.m3u8",
        "quality": ["720p"],
    }
    event.save()
    page = _page(alpha, f"/sports/events/{event.id}/").content.decode()
    assert ">2.10<" in page and "9.99" not in page
    # The event has not started: no player, nothing labelled live (tests/test_site_shell.py has
    # the video shown once the event is live).
    assert "<video" not in page and ">LIVE<" not in page
